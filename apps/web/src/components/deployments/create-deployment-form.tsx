"use client";
import { deploymentSpec, type IsolationLevel } from "@berth/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { z } from "zod";
import { type FieldErrors, serverErrors, zodFieldErrors } from "@/lib/errors";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card, CardBody, CardFooter, CardHeader } from "../ui/card";
import { Field } from "../ui/field";
import { Input, Select } from "../ui/input";
import { useToast } from "../ui/toast";

type Fields = "name" | "image" | "isolation" | "port" | "replicas";

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(
      z.number().min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`),
    );

// Name, image and isolation use the API's own schema and messages; the numbers arrive as text.
const schema = deploymentSpec.pick({ name: true, image: true, isolation: true }).extend({
  port: z.union([z.literal(""), wholeNumber(1, 65535)]),
  replicas: wholeNumber(0, 100),
});

export function CreateDeploymentForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const tenant = useTenant();
  const [values, setValues] = useState({
    name: "",
    image: "",
    isolation: tenant.isolation.default as IsolationLevel,
    port: "8080",
    replicas: "1",
  });
  const [errors, setErrors] = useState<FieldErrors<Fields>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const create = useMutation(trpc.deployments.create.mutationOptions());
  const set = (k: Fields) => (e: { target: { value: string } }) =>
    setValues({ ...values, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    const parsed = schema.safeParse(values);
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setErrors({});
    const { port, ...spec } = parsed.data;
    try {
      const d = await create.mutateAsync({
        tenantId: tenant.id,
        ...spec,
        ports: port === "" ? [] : [{ port, protocol: "tcp" }],
      });
      await qc.invalidateQueries({ queryKey: trpc.deployments.list.queryKey({ tenantId: tenant.id }) });
      toast(`Deployment ${d.name} created`);
      onDone();
    } catch (err) {
      const s = serverErrors(err, ["name", "image", "isolation", "replicas", "ports"] as const);
      const { ports, ...rest } = s.fields;
      setErrors({ ...rest, port: ports });
      setFormError(s.form);
    }
  }

  return (
    <Card className="mb-6">
      <CardHeader
        title="New deployment"
        description="Records the desired state; the scheduler places its instances on hosts."
      />
      <form noValidate onSubmit={submit}>
        <CardBody className="grid gap-4 sm:grid-cols-2">
          {formError ? (
            <Alert tone="danger" className="sm:col-span-2">
              {formError}
            </Alert>
          ) : null}
          <Field
            label="Name"
            error={errors.name}
            hint="Lowercase letters, digits and dashes; becomes a host name."
          >
            {(p) => (
              <Input
                {...p}
                value={values.name}
                onChange={set("name")}
                spellCheck={false}
                autoCapitalize="none"
              />
            )}
          </Field>
          <Field label="Image" error={errors.image} hint="An OCI image reference.">
            {(p) => (
              <Input
                {...p}
                value={values.image}
                onChange={set("image")}
                placeholder="127.0.0.1:5000/examples/hello"
                spellCheck={false}
                autoCapitalize="none"
                className="font-mono"
              />
            )}
          </Field>
          <Field label="Isolation" error={errors.isolation} hint="The levels this tenant may use.">
            {(p) => (
              <Select {...p} value={values.isolation} onChange={set("isolation")}>
                {tenant.isolation.allowed.map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <div className="grid grid-cols-2 gap-4">
            <Field label="Port" error={errors.port} hint="TCP; leave empty for none.">
              {(p) => <Input {...p} inputMode="numeric" value={values.port} onChange={set("port")} />}
            </Field>
            <Field label="Replicas" error={errors.replicas}>
              {(p) => <Input {...p} inputMode="numeric" value={values.replicas} onChange={set("replicas")} />}
            </Field>
          </div>
        </CardBody>
        <CardFooter>
          <Button variant="secondary" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" pending={create.isPending}>
            Create deployment
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}
