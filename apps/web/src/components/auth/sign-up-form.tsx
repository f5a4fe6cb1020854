"use client";
import { displayName, email as emailSchema } from "@berth/contracts";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { z } from "zod";
import { authClient } from "@/lib/auth-client";
import { type FieldErrors, zodFieldErrors } from "@/lib/errors";
import { withNext } from "@/lib/next-path";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Field } from "../ui/field";
import { Input } from "../ui/input";
import { AuthCard } from "./auth-card";
import { authErrorMessage } from "./auth-error";

// The server's rules (better-auth: 10 to 128 characters), checked here first.
const schema = z.object({
  name: displayName,
  email: emailSchema,
  password: z.string().min(10, "must be at least 10 characters").max(128, "must be at most 128 characters"),
});
type Fields = keyof z.infer<typeof schema>;

export function SignUpForm({ next }: { next: string }) {
  const [values, setValues] = useState({ name: "", email: "", password: "" });
  const [errors, setErrors] = useState<FieldErrors<Fields>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const set = (k: Fields) => (e: { target: { value: string } }) =>
    setValues({ ...values, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    const parsed = schema.safeParse(values);
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setErrors({});
    setPending(true);
    const { error } = await authClient.signUp.email(parsed.data);
    if (error) {
      setPending(false);
      return setFormError(authErrorMessage(error));
    }
    window.location.assign(next);
  }

  return (
    <AuthCard
      title="Create your account"
      description="You can create a tenant or accept an invitation next."
      footer={
        <>
          Already have an account?{" "}
          <Link
            href={withNext("/sign-in", next)}
            className="font-medium text-link underline underline-offset-4"
          >
            Sign in
          </Link>
        </>
      }
    >
      <form noValidate onSubmit={submit} className="grid gap-4">
        {formError ? <Alert tone="danger">{formError}</Alert> : null}
        <Field label="Name" error={errors.name}>
          {(p) => <Input {...p} autoComplete="name" value={values.name} onChange={set("name")} />}
        </Field>
        <Field label="Email" error={errors.email}>
          {(p) => (
            <Input {...p} type="email" autoComplete="email" value={values.email} onChange={set("email")} />
          )}
        </Field>
        <Field label="Password" error={errors.password} hint="At least 10 characters.">
          {(p) => (
            <Input
              {...p}
              type="password"
              autoComplete="new-password"
              value={values.password}
              onChange={set("password")}
            />
          )}
        </Field>
        <Button type="submit" pending={pending} className="mt-1 w-full">
          Create account
        </Button>
      </form>
    </AuthCard>
  );
}
