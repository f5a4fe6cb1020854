"use client";
import type { DeploymentDto } from "@berth/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { errorMessage, serverErrors } from "@/lib/errors";
import { useTRPC } from "@/trpc/client";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { ConfirmButton } from "../ui/dialog";
import { Field } from "../ui/field";
import { Input } from "../ui/input";
import { useToast } from "../ui/toast";

/** Scale, restart, stop or start, and delete one deployment (a restart is a rolling new generation). */
export function DeploymentActions({ deployment: d }: { deployment: DeploymentDto }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const router = useRouter();
  const ref = { tenantId: d.tenantId, deploymentId: d.id };
  const [replicas, setReplicas] = useState(String(d.replicas));
  const [error, setError] = useState<string | null>(null);
  const scale = useMutation(trpc.deployments.scale.mutationOptions());
  const stop = useMutation(trpc.deployments.stop.mutationOptions());
  const start = useMutation(trpc.deployments.start.mutationOptions());
  const remove = useMutation(trpc.deployments.delete.mutationOptions());
  const restart = useMutation(trpc.deployments.restart.mutationOptions());

  const refresh = () => qc.invalidateQueries({ queryKey: trpc.deployments.get.queryKey(ref) });

  async function onScale(e: FormEvent) {
    e.preventDefault();
    const n = Number(replicas);
    if (!/^\d+$/.test(replicas.trim()) || n > 100) {
      setError("Enter a whole number from 0 to 100.");
      return;
    }
    setError(null);
    try {
      await scale.mutateAsync({ ...ref, replicas: n });
      await refresh();
      toast(`${d.name} scaled to ${n}`);
    } catch (err) {
      const s = serverErrors(err, ["replicas"] as const);
      setError(s.fields.replicas ?? s.form ?? "Scaling failed.");
    }
  }

  async function toggle() {
    try {
      await (d.desiredState === "running" ? stop : start).mutateAsync(ref);
      await refresh();
      toast(d.desiredState === "running" ? `${d.name} is stopping` : `${d.name} is starting`);
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  }

  async function onRestart() {
    try {
      const next = await restart.mutateAsync(ref);
      await refresh();
      toast(`Restarting ${d.name}: generation ${next.generation}, one instance at a time`);
    } catch (err) {
      toast(`Could not restart ${d.name}: ${errorMessage(err)}`, "error");
    }
  }

  return (
    <Card>
      <CardHeader title="Manage" description="Changes apply at once; the instances follow within seconds." />
      <div className="flex flex-wrap items-end gap-4 px-5 pb-5">
        <form onSubmit={onScale} className="flex items-end gap-2" noValidate>
          <Field label="Replicas" error={error} className="w-28">
            {(p) => (
              <Input
                {...p}
                inputMode="numeric"
                value={replicas}
                onChange={(e) => setReplicas(e.target.value)}
              />
            )}
          </Field>
          <Button type="submit" variant="secondary" disabled={scale.isPending}>
            {scale.isPending ? "Scaling…" : "Scale"}
          </Button>
        </form>
        <Button
          variant="secondary"
          onClick={onRestart}
          pending={restart.isPending}
          disabled={d.desiredState !== "running"}
        >
          Restart
        </Button>
        <Button variant="secondary" onClick={toggle} disabled={stop.isPending || start.isPending}>
          {d.desiredState === "running" ? "Stop" : "Start"}
        </Button>
        <ConfirmButton
          trigger="Delete"
          triggerLabel={`Delete ${d.name}`}
          triggerSize="md"
          title={`Delete ${d.name}?`}
          description="The deployment and its instances are removed. Its volumes and their data are kept. This cannot be undone."
          confirmLabel="Delete deployment"
          onConfirm={async () => {
            await remove.mutateAsync(ref);
            await qc.invalidateQueries({
              queryKey: trpc.deployments.list.queryKey({ tenantId: d.tenantId }),
            });
            toast(`Deployment ${d.name} deleted`);
            router.push(`/t/${d.tenantId}/deployments`);
          }}
        />
      </div>
    </Card>
  );
}
