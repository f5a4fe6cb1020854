"use client";
import { type createdTokenDto, createTokenInput, type TokenScope, tokenScopes } from "@berth/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import type { z } from "zod";
import { type FieldErrors, serverErrors, zodFieldErrors } from "@/lib/errors";
import { capitalize } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card, CardBody, CardFooter, CardHeader } from "../ui/card";
import { Field, FieldError } from "../ui/field";
import { Checkbox, Input, Select } from "../ui/input";

type Fields = "name" | "scopes" | "expiresInDays";
export type CreatedToken = z.infer<typeof createdTokenDto>;

const expiries = [
  { value: "7", label: "7 days" },
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
  { value: "never", label: "Never" },
];

const scopeHelp: Record<TokenScope, string> = {
  read: "List and read deployments, members and the tenant.",
  write: "Create and delete with your role's rights.",
};

export function CreateTokenForm({ onCreated }: { onCreated: (t: CreatedToken) => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const tenant = useTenant();
  const scopesId = useId();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<TokenScope[]>(["read", "write"]);
  const [expiry, setExpiry] = useState("90");
  const [errors, setErrors] = useState<FieldErrors<Fields>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const create = useMutation(trpc.tokens.create.mutationOptions());

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    const parsed = createTokenInput.safeParse({
      tenantId: tenant.id,
      name,
      scopes,
      expiresInDays: expiry === "never" ? null : Number(expiry),
    });
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setErrors({});
    try {
      const t = await create.mutateAsync(parsed.data);
      setName("");
      await qc.invalidateQueries({ queryKey: trpc.tokens.list.queryKey({ tenantId: tenant.id }) });
      onCreated(t);
    } catch (err) {
      const s = serverErrors(err, ["name", "scopes", "expiresInDays"] as const);
      setErrors(s.fields);
      setFormError(s.form);
    }
  }

  const toggle = (s: TokenScope, on: boolean) =>
    setScopes((cur) => tokenScopes.filter((x) => (x === s ? on : cur.includes(x))));

  return (
    <Card>
      <CardHeader
        title="Create an API token"
        description="For the CLI, CI jobs and the REST API. It acts in this tenant with your role."
      />
      <form noValidate onSubmit={submit}>
        <CardBody className="grid gap-5 sm:grid-cols-2">
          {formError ? (
            <Alert tone="danger" className="sm:col-span-2">
              {formError}
            </Alert>
          ) : null}
          <Field
            label="Token name"
            error={errors.name}
            hint="Something that tells you where it is used, such as “CI deploys”."
          >
            {(p) => (
              <Input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
            )}
          </Field>
          <Field label="Expires" error={errors.expiresInDays}>
            {(p) => (
              <Select {...p} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
                {expiries.map((x) => (
                  <option key={x.value} value={x.value}>
                    {x.label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <fieldset
            className="grid gap-2 sm:col-span-2"
            aria-describedby={errors.scopes ? `${scopesId}-error` : undefined}
            aria-invalid={errors.scopes ? true : undefined}
          >
            <legend className="mb-1 text-sm font-medium text-foreground">Scopes</legend>
            {tokenScopes.map((s) => (
              <div key={s} className="flex items-start gap-2.5">
                <Checkbox
                  id={`${scopesId}-${s}`}
                  checked={scopes.includes(s)}
                  onChange={(e) => toggle(s, e.target.checked)}
                  aria-describedby={`${scopesId}-${s}-help`}
                  className="mt-0.5"
                />
                <div>
                  <label htmlFor={`${scopesId}-${s}`} className="text-sm font-medium text-foreground">
                    {capitalize(s)}
                  </label>
                  <p id={`${scopesId}-${s}-help`} className="text-xs text-muted-foreground">
                    {scopeHelp[s]}
                  </p>
                </div>
              </div>
            ))}
            {errors.scopes ? <FieldError id={`${scopesId}-error`}>{errors.scopes}</FieldError> : null}
          </fieldset>
        </CardBody>
        <CardFooter>
          <Button type="submit" pending={create.isPending}>
            Create token
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}
