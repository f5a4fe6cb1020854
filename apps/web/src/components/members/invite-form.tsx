"use client";
import { inviteInput, type Role } from "@berth/contracts";
import { canAssignRole } from "@berth/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { type FieldErrors, serverErrors, zodFieldErrors } from "@/lib/errors";
import { useTRPC } from "@/trpc/client";
import { useTenant } from "../tenants/tenant-context";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { CopyField } from "../ui/copy-field";
import { Field } from "../ui/field";
import { Input, Select } from "../ui/input";

type Fields = "email" | "role";
const roleOrder: Role[] = ["viewer", "member", "admin", "owner"];

export function InviteForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const tenant = useTenant();
  const [values, setValues] = useState<{ email: string; role: Role }>({ email: "", role: "member" });
  const [errors, setErrors] = useState<FieldErrors<Fields>>({});
  const [formError, setFormError] = useState<string | null>(null);
  // The link exists only in this response: the server keeps a hash of its token.
  const [created, setCreated] = useState<{ email: string; link: string } | null>(null);
  const invite = useMutation(trpc.members.invite.mutationOptions());
  const assignable = roleOrder.filter((r) => tenant.role && canAssignRole(tenant.role, null, r));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    const parsed = inviteInput.safeParse({ tenantId: tenant.id, ...values });
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setErrors({});
    try {
      const inv = await invite.mutateAsync(parsed.data);
      setCreated({ email: inv.email, link: new URL(inv.acceptPath, window.location.origin).toString() });
      setValues({ email: "", role: values.role });
      await qc.invalidateQueries({ queryKey: trpc.members.invitations.queryKey({ tenantId: tenant.id }) });
    } catch (err) {
      const s = serverErrors(err, ["email", "role"] as const);
      setErrors(s.fields);
      setFormError(s.form);
    }
  }

  return (
    <Card>
      <CardHeader
        title="Invite a member"
        description="They join with the role you pick once they accept the link."
      />
      <CardBody className="grid gap-4">
        {created ? (
          <Alert
            tone="success"
            title={`Invitation created for ${created.email}`}
            action={
              <Button variant="secondary" size="sm" onClick={() => setCreated(null)}>
                Done
              </Button>
            }
          >
            <p className="mb-3">
              Send them this link. It is shown only once and expires in 7 days; if it is lost, revoke the
              invitation and invite again.
            </p>
            <CopyField label="Invite link" value={created.link} />
          </Alert>
        ) : null}
        {formError ? <Alert tone="danger">{formError}</Alert> : null}
        <form
          noValidate
          onSubmit={submit}
          className="grid gap-4 sm:grid-cols-[1fr_10rem_auto] sm:items-start"
        >
          <Field label="Email address" error={errors.email}>
            {(p) => (
              <Input
                {...p}
                type="email"
                autoComplete="off"
                value={values.email}
                onChange={(e) => setValues({ ...values, email: e.target.value })}
              />
            )}
          </Field>
          <Field label="Role" error={errors.role}>
            {(p) => (
              <Select
                {...p}
                value={values.role}
                onChange={(e) => setValues({ ...values, role: e.target.value as Role })}
              >
                {assignable.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Button type="submit" pending={invite.isPending} className="sm:mt-[1.625rem]">
            Send invitation
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}
