"use client";
import type { hostDto } from "@berth/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import { useTRPC } from "@/trpc/client";
import { Button } from "../ui/button";
import { ConfirmButton } from "../ui/dialog";
import { useToast } from "../ui/toast";

type Host = z.infer<typeof hostDto>;

/**
 * Cordon (reversible at once, so no confirmation), drain and remove (each behind one); every
 * outcome refreshes the list and is said in a toast. A failed drain or removal stays in its dialog.
 */
export function HostActions({ host }: { host: Host }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const busy = host.drain ? host.drain.remaining : host.instanceCount;
  // a drain with instances left to move; a finished drain leaves the host cordoned
  const drainRunning = host.draining && busy > 0;
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
  const cordon = useMutation(
    trpc.hosts.cordon.mutationOptions({
      onSuccess: async (h) => {
        await refresh();
        toast(
          h.cordoned
            ? `${h.name} cordoned: no new instances go there`
            : drainRunning
              ? `${h.name}: drain stopped and uncordoned; instances already moved stay where they are`
              : `${h.name} uncordoned`,
        );
      },
      onError: (e) => toast(`${host.name}: ${e.message}`, "error"),
    }),
  );
  const drain = useMutation(trpc.hosts.drain.mutationOptions());
  const remove = useMutation(trpc.hosts.remove.mutationOptions());
  if (host.status === "removed") return null;
  return (
    <div className="flex flex-wrap justify-end gap-2">
      <Button
        size="sm"
        variant="secondary"
        aria-label={`${drainRunning ? "Stop draining" : host.cordoned ? "Uncordon" : "Cordon"} ${host.name}`}
        pending={cordon.isPending}
        onClick={() => cordon.mutate({ hostId: host.id, cordoned: !host.cordoned })}
      >
        {/* a drain ends by uncordoning: instances already moved stay where they are */}
        {drainRunning ? "Stop drain" : host.cordoned ? "Uncordon" : "Cordon"}
      </Button>
      {host.draining ? null : (
        <ConfirmButton
          trigger="Drain"
          triggerLabel={`Drain ${host.name}`}
          title={`Drain ${host.name}?`}
          description={
            <>
              The host is cordoned and its {host.instanceCount} instance(s) move to other hosts, one per
              deployment at a time, so every deployment keeps serving. Uncordon it to stop the drain.
            </>
          }
          confirmLabel="Drain host"
          onConfirm={async () => {
            await drain.mutateAsync({ hostId: host.id });
            await refresh();
            toast(`${host.name}: drain started`);
          }}
        />
      )}
      <ConfirmButton
        trigger="Remove"
        triggerLabel={`Remove ${host.name}`}
        title={`Remove ${host.name}?`}
        description={
          busy > 0 ? (
            <>{busy} instance(s) still run on this host: drain it first, or the removal is refused.</>
          ) : (
            <>Its host token stops working at once; to bring it back, join it again with a new token.</>
          )
        }
        confirmLabel="Remove host"
        onConfirm={async () => {
          await remove.mutateAsync({ hostId: host.id });
          await refresh();
          toast(`${host.name} removed`);
        }}
      />
    </div>
  );
}
