"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { errorMessage } from "@/lib/errors";
import { capitalize } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { Alert } from "../ui/alert";
import { Button, buttonClasses } from "../ui/button";

export function AcceptInvite({ token, email }: { token: string; email: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const accept = useMutation(trpc.members.accept.mutationOptions());

  async function go() {
    const res = await accept.mutateAsync({ token });
    await qc.invalidateQueries({ queryKey: trpc.tenants.list.queryKey() });
    router.push(`/t/${res.tenantId}/deployments`);
  }

  return (
    <div className="grid gap-4">
      <p className="text-sm text-muted-foreground">
        You are signed in as <strong className="font-medium text-foreground">{email}</strong>. The invitation
        must be addressed to this email.
      </p>
      {accept.isError ? (
        <Alert tone="danger" title="The invitation could not be accepted">
          {capitalize(errorMessage(accept.error).replace(/^Token: /, ""))}
        </Alert>
      ) : null}
      <Button
        onClick={() => go().catch(() => {})}
        pending={accept.isPending || accept.isSuccess}
        className="w-full"
      >
        Accept invitation
      </Button>
      <Link href="/" className={buttonClasses("ghost", "md", "w-full")}>
        Not now
      </Link>
    </div>
  );
}
