"use client";
import { type IsolationLevel, isolationLevels, operatorTenantUpdate } from "@berth/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useRef, useState } from "react";
import type { z } from "zod";
import { errorMessage, type FieldErrors } from "@/lib/errors";
import { useTRPC } from "@/trpc/client";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Field, FieldError } from "../ui/field";
import { Checkbox, Input, Select } from "../ui/input";
import { useToast } from "../ui/toast";
import type { OperatorTenant } from "./tenants-admin";

type Fields =
  | "quota.cpuMillis"
  | "quota.memoryMiB"
  | "quota.instances"
  | "isolation.allowed"
  | "isolation.default";

/** Messages keyed by the whole path ("quota.instances"): the shared helpers key by the first part. */
function byPath(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldErrors<Fields> {
  const out: Record<string, string> = {};
  for (const i of issues) out[i.path.map(String).join(".")] ??= i.message;
  return out as FieldErrors<Fields>;
}

/** A tenant's quotas and isolation policy, edited in a modal dialog (native: focus trap, Escape). */
export function EditPolicy({ tenant }: { tenant: OperatorTenant }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [cpu, setCpu] = useState(String(tenant.quota.cpuMillis));
  const [memory, setMemory] = useState(String(tenant.quota.memoryMiB));
  const [instances, setInstances] = useState(String(tenant.quota.instances));
  const [allowed, setAllowed] = useState<IsolationLevel[]>(tenant.isolation.allowed);
  const [def, setDef] = useState<IsolationLevel>(tenant.isolation.default);
  const [dedicated, setDedicated] = useState(tenant.isolation.dedicatedHosts);
  const [errors, setErrors] = useState<FieldErrors<Fields>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const save = useMutation(trpc.operator.updateTenant.mutationOptions());

  function open() {
    setCpu(String(tenant.quota.cpuMillis));
    setMemory(String(tenant.quota.memoryMiB));
    setInstances(String(tenant.quota.instances));
    setAllowed(tenant.isolation.allowed);
    setDef(tenant.isolation.default);
    setDedicated(tenant.isolation.dedicatedHosts);
    setErrors({});
    setFormError(null);
    ref.current?.showModal();
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    const num = (v: string) => (v.trim() === "" ? Number.NaN : Number(v));
    const parsed = operatorTenantUpdate.safeParse({
      tenantId: tenant.id,
      quota: { cpuMillis: num(cpu), memoryMiB: num(memory), instances: num(instances) },
      isolation: { allowed, default: def, dedicatedHosts: dedicated },
    });
    if (!parsed.success) return setErrors(byPath((parsed.error as z.ZodError).issues));
    if (!allowed.includes(def))
      return setErrors({ "isolation.default": "must be one of the allowed levels" });
    setErrors({});
    try {
      await save.mutateAsync(parsed.data);
      await qc.invalidateQueries({ queryKey: trpc.operator.tenants.queryKey() });
      ref.current?.close();
      toast(`${tenant.name}: policy saved`);
    } catch (err) {
      // "isolation.default: …" from the service names its field; anything else is the form's
      const m = /^((?:quota|isolation)\.\w+): (.+)$/.exec(errorMessage(err));
      if (m?.[1] && m[2]) setErrors({ [m[1]]: m[2] } as FieldErrors<Fields>);
      else setFormError(errorMessage(err));
    }
  }

  return (
    <>
      <Button size="sm" variant="secondary" aria-label={`Edit policy of ${tenant.name}`} onClick={open}>
        Edit policy
      </Button>
      <dialog
        ref={ref}
        aria-labelledby={`${id}-title`}
        className="m-auto w-[calc(100%-2rem)] max-w-lg rounded-lg border border-border bg-card p-0 text-left text-foreground shadow-xl backdrop:bg-black/50"
      >
        <form noValidate onSubmit={submit}>
          <div className="grid gap-4 px-5 pt-5">
            <h2 id={`${id}-title`} className="text-base font-semibold">
              Policy of {tenant.name}
            </h2>
            {formError ? <Alert tone="danger">{formError}</Alert> : null}
            <div className="grid gap-4 sm:grid-cols-3">
              <Field label="CPU (millicores)" error={errors["quota.cpuMillis"]}>
                {(p) => (
                  <Input {...p} inputMode="numeric" value={cpu} onChange={(e) => setCpu(e.target.value)} />
                )}
              </Field>
              <Field label="Memory (MiB)" error={errors["quota.memoryMiB"]}>
                {(p) => (
                  <Input
                    {...p}
                    inputMode="numeric"
                    value={memory}
                    onChange={(e) => setMemory(e.target.value)}
                  />
                )}
              </Field>
              <Field label="Instances" error={errors["quota.instances"]}>
                {(p) => (
                  <Input
                    {...p}
                    inputMode="numeric"
                    value={instances}
                    onChange={(e) => setInstances(e.target.value)}
                  />
                )}
              </Field>
            </div>
            <fieldset className="grid gap-2">
              <legend className="mb-1 text-sm font-medium">Allowed isolation levels</legend>
              {isolationLevels.map((l) => (
                <label key={l} htmlFor={`${id}-level-${l}`} className="flex items-center gap-2 text-sm">
                  <Checkbox
                    id={`${id}-level-${l}`}
                    checked={allowed.includes(l)}
                    onChange={(e) =>
                      setAllowed((cur) =>
                        isolationLevels.filter((x) => (x === l ? e.target.checked : cur.includes(x))),
                      )
                    }
                  />
                  {l}
                </label>
              ))}
              {errors["isolation.allowed"] ? (
                <FieldError id={`${id}-allowed`}>{errors["isolation.allowed"]}</FieldError>
              ) : null}
            </fieldset>
            <Field label="Default level" error={errors["isolation.default"]}>
              {(p) => (
                <Select {...p} value={def} onChange={(e) => setDef(e.target.value as IsolationLevel)}>
                  {isolationLevels.map((l) => (
                    <option key={l} value={l}>
                      {l}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <label htmlFor={`${id}-dedicated`} className="flex items-center gap-2 text-sm">
              <Checkbox
                id={`${id}-dedicated`}
                checked={dedicated}
                onChange={(e) => setDedicated(e.target.checked)}
              />
              Dedicated hosts (its instances share no host with other tenants)
            </label>
          </div>
          <div className="mt-5 flex justify-end gap-2 border-t border-border px-5 py-3">
            <Button
              type="button"
              variant="secondary"
              onClick={() => ref.current?.close()}
              disabled={save.isPending}
            >
              Cancel
            </Button>
            <Button type="submit" pending={save.isPending}>
              Save policy
            </Button>
          </div>
        </form>
      </dialog>
    </>
  );
}
