"use client";
import { type DeploymentDto, updateDeploymentInput } from "@berth/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { z } from "zod";
import { envToText, parseEnvText, sameEnv } from "@/lib/env-text";
import { type FieldErrors, serverErrors, zodFieldErrors } from "@/lib/errors";
import { parseSecretText } from "@/lib/secret-text";
import { useTRPC } from "@/trpc/client";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card, CardBody, CardFooter, CardHeader } from "../ui/card";
import { Field } from "../ui/field";
import { Checkbox, Input } from "../ui/input";
import { useToast } from "../ui/toast";
import { LinesField } from "./lines-field";

type Fields = "image" | "env" | "cpuMillis" | "memoryMiB" | "secrets";
const fields = ["image", "env", "cpuMillis", "memoryMiB", "secrets"] as const;

// The API's own field schemas (and so its messages); the numbers arrive as text.
const api = updateDeploymentInput.shape;
const asNumber = (s: z.ZodType<number, number>) =>
  z.string().trim().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(s);
const schema = z.object({
  image: api.image.unwrap(),
  env: api.env.unwrap(),
  cpuMillis: asNumber(api.cpuMillis.unwrap()),
  memoryMiB: asNumber(api.memoryMiB.unwrap()),
});

/**
 * Changes what runs: the API records a new generation and the reconciler replaces the instances
 * one at a time (one extra beside the old ones), so the endpoint keeps answering throughout.
 * Only the fields that differ are sent: an unchanged form is not an update. Secrets are write-only,
 * so the form never holds their values: it sends the ones typed (set or replaced) and the names
 * ticked for removal; the others keep their values.
 */
export function UpdateForm({ deployment: d }: { deployment: DeploymentDto }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const initial = {
    image: d.image,
    env: envToText(d.env),
    cpuMillis: String(d.cpuMillis),
    memoryMiB: String(d.memoryMiB),
    secrets: "",
  };
  // re-seeded when a new generation arrives (an update or a rollback from elsewhere)
  const [seededAt, setSeededAt] = useState(d.generation);
  const [values, setValues] = useState(initial);
  const [remove, setRemove] = useState<string[]>([]);
  if (seededAt !== d.generation) {
    setSeededAt(d.generation);
    setValues(initial);
    setRemove([]);
  }
  const [open, setOpen] = useState(false);
  const [errors, setErrors] = useState<FieldErrors<Fields>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const formId = useId();
  const update = useMutation(trpc.deployments.update.mutationOptions());
  const set = (k: Fields) => (e: { target: { value: string } }) =>
    setValues({ ...values, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    const env = parseEnvText(values.env);
    if (env.error) return setErrors({ env: `Environment: ${env.error}` });
    const kept = d.secrets.map((s) => s.name).filter((n) => !remove.includes(n));
    const shadowed = kept.find((n) => Object.hasOwn(env.env, n));
    if (shadowed)
      return setErrors({
        env: `Environment: ${shadowed} is a secret of this deployment; tick it for removal below to make it a plain variable`,
      });
    const secrets = parseSecretText(values.secrets, Object.keys(env.env));
    const removing = Object.keys(secrets.secrets).find((n) => remove.includes(n));
    if (secrets.error || removing)
      return setErrors({
        secrets: `Secrets: ${secrets.error ?? `${removing} is also ticked for removal; untick it to replace its value`}`,
      });
    const { secrets: _, ...rest } = values;
    const parsed = schema.safeParse({ ...rest, env: env.env });
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setErrors({});
    const p = parsed.data;
    const secretChange = { ...secrets.secrets, ...Object.fromEntries(remove.map((n) => [n, null])) };
    const change = {
      ...(p.image !== d.image ? { image: p.image } : {}),
      ...(!sameEnv(p.env, d.env) ? { env: p.env } : {}),
      ...(p.cpuMillis !== d.cpuMillis ? { cpuMillis: p.cpuMillis } : {}),
      ...(p.memoryMiB !== d.memoryMiB ? { memoryMiB: p.memoryMiB } : {}),
      ...(Object.keys(secretChange).length ? { secrets: secretChange } : {}),
    };
    if (Object.keys(change).length === 0) return setFormError("Nothing changed: edit a field first.");
    try {
      const next = await update.mutateAsync({ tenantId: d.tenantId, deploymentId: d.id, ...change });
      await qc.invalidateQueries({ queryKey: trpc.deployments.pathKey() });
      toast(`Rolling out generation ${next.generation} of ${d.name}`);
      setOpen(false);
    } catch (err) {
      const s = serverErrors(err, fields);
      setErrors(s.fields);
      setFormError(s.form);
    }
  }

  return (
    <Card>
      <CardHeader
        title="Update"
        description="A rolling update: each instance is replaced by one of the next generation once that one runs."
        actions={
          <Button
            variant="secondary"
            size="sm"
            aria-expanded={open}
            aria-controls={formId}
            onClick={() => setOpen(!open)}
          >
            {open ? "Close" : "Change image or settings"}
          </Button>
        }
      />
      <form noValidate onSubmit={submit} aria-label={`Update ${d.name}`} id={formId} hidden={!open}>
        <CardBody className="grid gap-4 sm:grid-cols-2">
          {formError ? (
            <Alert tone="danger" className="sm:col-span-2">
              {formError}
            </Alert>
          ) : null}
          <Field label="Image" error={errors.image} className="sm:col-span-2">
            {(p) => (
              <Input
                {...p}
                value={values.image}
                onChange={set("image")}
                spellCheck={false}
                autoCapitalize="none"
                className="font-mono"
              />
            )}
          </Field>
          <Field label="CPU (millicores)" error={errors.cpuMillis} hint="1000 is one core.">
            {(p) => <Input {...p} inputMode="numeric" value={values.cpuMillis} onChange={set("cpuMillis")} />}
          </Field>
          <Field label="Memory (MiB)" error={errors.memoryMiB}>
            {(p) => <Input {...p} inputMode="numeric" value={values.memoryMiB} onChange={set("memoryMiB")} />}
          </Field>
          <LinesField
            label="Environment"
            error={errors.env}
            hint="One KEY=value a line."
            value={values.env}
            onChange={set("env")}
            placeholder="GREETING=hello"
            rows={3}
          />
          {d.isolation !== "unikernel" ? (
            <LinesField
              label="Set secrets"
              error={errors.secrets}
              hint="One NAME=value a line: adds a secret or replaces its value. Secrets not named keep theirs."
              value={values.secrets}
              onChange={set("secrets")}
              placeholder="API_TOKEN=…"
              secret
            />
          ) : null}
          {d.secrets.length ? (
            <fieldset className="grid gap-2 sm:col-span-2">
              <legend className="mb-1 text-sm font-medium">Remove secrets</legend>
              {d.secrets.map((s) => (
                <label
                  key={s.name}
                  htmlFor={`${formId}-remove-${s.name}`}
                  className="flex items-center gap-2 text-sm"
                >
                  <Checkbox
                    id={`${formId}-remove-${s.name}`}
                    checked={remove.includes(s.name)}
                    onChange={(e) =>
                      setRemove((cur) =>
                        e.target.checked ? [...cur, s.name] : cur.filter((n) => n !== s.name),
                      )
                    }
                  />
                  <span className="font-mono">{s.name}</span>
                </label>
              ))}
            </fieldset>
          ) : null}
        </CardBody>
        <CardFooter>
          <Button
            variant="secondary"
            onClick={() => {
              setValues(initial);
              setRemove([]);
              setErrors({});
              setFormError(null);
              setOpen(false);
            }}
          >
            Cancel
          </Button>
          <Button type="submit" pending={update.isPending}>
            Roll out
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}
