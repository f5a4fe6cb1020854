"use client";
import { deploymentSpec, type IsolationLevel } from "@berth/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { z } from "zod";
import { parseEnvText } from "@/lib/env-text";
import { type FieldErrors, serverErrors, zodFieldErrors } from "@/lib/errors";
import { parseSecretText } from "@/lib/secret-text";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card, CardBody, CardFooter, CardHeader } from "../ui/card";
import { Field } from "../ui/field";
import { Input, Select } from "../ui/input";
import { useToast } from "../ui/toast";
import { LinesField } from "./lines-field";

type Fields =
  | "name"
  | "image"
  | "isolation"
  | "port"
  | "replicas"
  | "cpuMillis"
  | "memoryMiB"
  | "env"
  | "secrets"
  | "volumes";

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(
      z.number().min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`),
    );

const spec = deploymentSpec.shape;
const asNumber = (s: z.ZodType<number, number>) =>
  z.string().trim().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(s);

// The API's own schema and messages for every field; the numbers arrive as text.
const schema = deploymentSpec.pick({ name: true, image: true, isolation: true }).extend({
  port: z.union([z.literal(""), wholeNumber(1, 65535)]),
  replicas: wholeNumber(0, 100),
  cpuMillis: asNumber(spec.cpuMillis.unwrap()),
  memoryMiB: asNumber(spec.memoryMiB.unwrap()),
  env: spec.env.unwrap(),
  volumes: spec.volumes.unwrap(),
});

/** "name:/path" (or empty): one volume, the common case; the API and CLI take several. */
function parseVolume(text: string) {
  const t = text.trim();
  if (!t) return [];
  const [name = "", ...rest] = t.split(":");
  return [{ name, mountPath: rest.join(":"), readOnly: false }];
}

export function CreateDeploymentForm({ onDone, recent = [] }: { onDone: () => void; recent?: string[] }) {
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
    cpuMillis: "500",
    memoryMiB: "256",
    env: "",
    secrets: "",
    volume: "",
  });
  // Suggested beside the tenant's recent images: what the registries' catalogues hold that boots
  // at the chosen level (a unikernel artifact at unikernel, an OCI image at the others).
  const catalog = useQuery({
    ...trpc.registries.catalog.queryOptions({ tenantId: tenant.id }),
    enabled: tenant.can("member"),
    staleTime: 30_000,
  });
  const wanted = values.isolation === "unikernel" ? "unikernel" : "image";
  const offered = (catalog.data ?? []).flatMap((c) =>
    c.images.filter((i) => i.kind === null || i.kind === wanted).map((i) => i.image),
  );
  const suggestions = [...new Set([...recent, ...offered])];
  const listId = useId();
  const [errors, setErrors] = useState<FieldErrors<Fields>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const create = useMutation(trpc.deployments.create.mutationOptions());
  const set = (k: Fields | "volume") => (e: { target: { value: string } }) =>
    setValues({ ...values, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    const env = parseEnvText(values.env);
    const volumes = values.isolation === "container" ? parseVolume(values.volume) : [];
    // a unikernel takes no secrets (its env is on its command line): the field is hidden there, and its text not sent
    const secrets =
      values.isolation === "unikernel"
        ? { secrets: {}, error: null }
        : parseSecretText(values.secrets, Object.keys(env.env));
    // the schema is strict (as the API's): the raw volume and secrets texts are not its keys
    const { volume: _, secrets: _s, ...fields } = values;
    const parsed = schema.safeParse({ ...fields, env: env.env, volumes });
    // every message at once: the env and secrets texts' own, then the schema's for the others
    const errs: FieldErrors<Fields> = parsed.success ? {} : zodFieldErrors(parsed.error);
    if (env.error) errs.env = `Environment: ${env.error}`;
    if (secrets.error) errs.secrets = `Secrets: ${secrets.error}`;
    if (!parsed.success || env.error || secrets.error) return setErrors(errs);
    setErrors({});
    const { port, ...rest } = parsed.data;
    try {
      const d = await create.mutateAsync({
        tenantId: tenant.id,
        ...rest,
        secrets: secrets.secrets,
        ports: port === "" ? [] : [{ port, protocol: "tcp" }],
      });
      await qc.invalidateQueries({ queryKey: trpc.deployments.list.queryKey({ tenantId: tenant.id }) });
      toast(`Deployment ${d.name} created`);
      onDone();
    } catch (err) {
      const s = serverErrors(err, [
        "name",
        "image",
        "isolation",
        "replicas",
        "ports",
        "cpuMillis",
        "memoryMiB",
        "env",
        "secrets",
        "volumes",
      ] as const);
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
          <Field
            label="Image"
            error={errors.image}
            hint={
              catalog.isLoading
                ? "An image reference; reading the registries' catalogues for suggestions…"
                : offered.length > 0
                  ? `An image reference; ${offered.length} in the registries' catalogues fit ${values.isolation}: type to pick one.`
                  : values.isolation === "unikernel"
                    ? "A unikernel artifact's reference (docs/unikernel.md)."
                    : "An OCI image reference."
            }
          >
            {(p) => (
              <Input
                {...p}
                value={values.image}
                onChange={set("image")}
                placeholder="127.0.0.1:5000/examples/hello"
                list={listId}
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
          <div className="grid grid-cols-2 gap-4">
            <Field label="CPU (millicores)" error={errors.cpuMillis} hint="1000 is one core.">
              {(p) => (
                <Input {...p} inputMode="numeric" value={values.cpuMillis} onChange={set("cpuMillis")} />
              )}
            </Field>
            <Field label="Memory (MiB)" error={errors.memoryMiB}>
              {(p) => (
                <Input {...p} inputMode="numeric" value={values.memoryMiB} onChange={set("memoryMiB")} />
              )}
            </Field>
          </div>
          {values.isolation === "container" ? (
            <Field label="Volume" error={errors.volumes} hint="Optional: name:/path, created on first use.">
              {(p) => (
                <Input
                  {...p}
                  value={values.volume}
                  onChange={set("volume")}
                  placeholder="data:/data"
                  spellCheck={false}
                  autoCapitalize="none"
                  className="font-mono"
                />
              )}
            </Field>
          ) : null}
          <LinesField
            label="Environment"
            error={errors.env}
            hint="One KEY=value a line; values are stored with the deployment, not as secrets."
            value={values.env}
            onChange={set("env")}
            placeholder="GREETING=hello"
          />
          {values.isolation !== "unikernel" ? (
            <LinesField
              label="Secrets"
              error={errors.secrets}
              hint="One NAME=value a line, added to the environment. Write-only: stored encrypted, never shown again, given only to the hosts that run the instances."
              value={values.secrets}
              onChange={set("secrets")}
              placeholder="API_TOKEN=…"
              secret
            />
          ) : null}
          <datalist id={listId}>
            {suggestions.map((i) => (
              <option key={i} value={i} />
            ))}
          </datalist>
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
