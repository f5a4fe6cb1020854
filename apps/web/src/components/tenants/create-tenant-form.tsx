"use client";
import { createTenantInput } from "@berth/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { type FieldErrors, serverErrors, zodFieldErrors } from "@/lib/errors";
import { slugify } from "@/lib/slug";
import { useTRPC } from "@/trpc/client";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card, CardBody, CardFooter } from "../ui/card";
import { Field } from "../ui/field";
import { Input } from "../ui/input";

type Fields = "name" | "slug";

export function CreateTenantForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  // The slug follows the name until the user edits it.
  const [slugTouched, setSlugTouched] = useState(false);
  const [errors, setErrors] = useState<FieldErrors<Fields>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const create = useMutation(trpc.tenants.create.mutationOptions());

  async function submit(e: FormEvent) {
    e.preventDefault();
    setFormError(null);
    const parsed = createTenantInput.safeParse({ name, slug });
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setErrors({});
    try {
      const t = await create.mutateAsync(parsed.data);
      await qc.invalidateQueries({ queryKey: trpc.tenants.list.queryKey() });
      router.push(`/t/${t.id}/deployments`);
    } catch (err) {
      const s = serverErrors(err, ["name", "slug"] as const);
      setErrors(s.fields);
      setFormError(s.form);
    }
  }

  return (
    <Card>
      <form noValidate onSubmit={submit}>
        <CardBody className="grid gap-4">
          {formError ? <Alert tone="danger">{formError}</Alert> : null}
          <Field label="Tenant name" error={errors.name}>
            {(p) => (
              <Input
                {...p}
                value={name}
                autoComplete="organization"
                onChange={(e) => {
                  setName(e.target.value);
                  if (!slugTouched) setSlug(slugify(e.target.value));
                }}
              />
            )}
          </Field>
          <Field
            label="Slug"
            error={errors.slug}
            hint="Lowercase letters, digits and dashes; used in URLs and host names. Suggested from the name."
          >
            {(p) => (
              <Input
                {...p}
                value={slug}
                spellCheck={false}
                autoCapitalize="none"
                className="font-mono"
                onChange={(e) => {
                  setSlugTouched(true);
                  setSlug(e.target.value);
                }}
              />
            )}
          </Field>
        </CardBody>
        <CardFooter>
          <Button type="submit" pending={create.isPending}>
            Create tenant
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}
