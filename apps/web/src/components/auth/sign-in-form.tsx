"use client";
import { email as emailSchema } from "@berth/contracts";
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

const schema = z.object({ email: emailSchema, password: z.string().min(1, "enter your password") });
type Fields = keyof z.infer<typeof schema>;

export function SignInForm({ next }: { next: string }) {
  const [values, setValues] = useState({ email: "", password: "" });
  const [errors, setErrors] = useState<FieldErrors<Fields>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    const parsed = schema.safeParse(values);
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setErrors({});
    setPending(true);
    const { error } = await authClient.signIn.email(parsed.data);
    if (error) {
      setPending(false);
      return setFormError(authErrorMessage(error));
    }
    // A full load so that every server component sees the new session.
    window.location.assign(next);
  }

  return (
    <AuthCard
      title="Sign in to Berth"
      description="Deploy and run workloads across your tenants."
      footer={
        <>
          New here?{" "}
          <Link
            href={withNext("/sign-up", next)}
            className="font-medium text-link underline underline-offset-4"
          >
            Create an account
          </Link>
        </>
      }
    >
      <form noValidate onSubmit={submit} className="grid gap-4">
        {formError ? <Alert tone="danger">{formError}</Alert> : null}
        <Field label="Email" error={errors.email}>
          {(p) => (
            <Input
              {...p}
              type="email"
              autoComplete="email"
              value={values.email}
              onChange={(e) => setValues({ ...values, email: e.target.value })}
            />
          )}
        </Field>
        <Field label="Password" error={errors.password}>
          {(p) => (
            <Input
              {...p}
              type="password"
              autoComplete="current-password"
              value={values.password}
              onChange={(e) => setValues({ ...values, password: e.target.value })}
            />
          )}
        </Field>
        <Button type="submit" pending={pending} className="mt-1 w-full">
          Sign in
        </Button>
      </form>
    </AuthCard>
  );
}
