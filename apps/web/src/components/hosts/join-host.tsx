"use client";
import { useMutation } from "@tanstack/react-query";
import { formatDate } from "@/lib/format";
import { useTRPC } from "@/trpc/client";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { CopyField } from "../ui/copy-field";

/** Issues a one-time join token and shows the exact command to run on the new host. */
export function JoinHost() {
  const trpc = useTRPC();
  const issue = useMutation(trpc.hosts.createJoinToken.mutationOptions());
  return (
    <Card className="mb-6 p-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h2 className="font-medium">Add a host</h2>
          <p className="text-sm text-muted-foreground">
            Issue a one-time join token (valid for an hour), then run the command on the new machine as root.
          </p>
        </div>
        <Button pending={issue.isPending} onClick={() => issue.mutate()}>
          Issue join token
        </Button>
      </div>
      {issue.data ? (
        <div className="mt-4">
          <CopyField label="Run on the new host" value={issue.data.command} />
          <p className="mt-2 text-xs text-muted-foreground">
            Valid once, until <time dateTime={issue.data.expiresAt}>{formatDate(issue.data.expiresAt)}</time>.
            The host then starts its agent with <code className="font-mono">berth-agent run</code> and appears
            below when its first heartbeat arrives.
          </p>
        </div>
      ) : null}
      {issue.error ? (
        <p role="alert" className="mt-3 text-sm text-danger">
          {issue.error.message}
        </p>
      ) : null}
    </Card>
  );
}
