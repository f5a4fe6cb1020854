"use client";
import type { JobState } from "@berth/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/trpc/client";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { ConfirmButton } from "../ui/dialog";
import { EmptyState } from "../ui/empty-state";
import { Select } from "../ui/input";
import { Label } from "../ui/label";
import { QueryError } from "../ui/query-error";
import { LoadingRows } from "../ui/skeleton";
import { Table, TBody, Td, THead, Th, Tr } from "../ui/table";
import { useToast } from "../ui/toast";

const states: JobState[] = ["failed", "waiting", "active", "delayed", "completed"];
const pageSize = 50;

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

/**
 * One queue's jobs by state, newest first: what each carries, how often it ran, why it failed;
 * a failed job can be retried, any job not running removed (behind a confirmation).
 */
export function QueueJobs({ queue, title }: { queue: string; title: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const stateId = useId();
  const [state, setState] = useState<JobState>("failed");
  const [start, setStart] = useState(0);
  const jobs = useQuery({
    ...trpc.operator.queueJobs.queryOptions({ queue, state, start }),
    refetchInterval: 5000,
  });
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: trpc.operator.queueJobs.queryKey() }),
      qc.invalidateQueries({ queryKey: trpc.operator.queues.queryKey() }),
    ]);
  const retry = useMutation(trpc.operator.retryJob.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.operator.removeJob.mutationOptions({ onSettled: refresh }));

  return (
    <Card>
      <CardHeader
        title={`Jobs of ${title}`}
        description={<span className="font-mono text-xs">{queue}</span>}
        actions={
          <span className="flex items-center gap-2">
            <Label htmlFor={stateId}>State</Label>
            <Select
              id={stateId}
              value={state}
              onChange={(e) => {
                setState(e.target.value as JobState);
                setStart(0);
              }}
            >
              {states.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </Select>
          </span>
        }
      />
      {jobs.isPending ? (
        <LoadingRows label="jobs" />
      ) : jobs.isError ? (
        <QueryError what="jobs" error={jobs.error} onRetry={() => jobs.refetch()} />
      ) : jobs.data.jobs.length === 0 ? (
        <EmptyState title={`No ${state} jobs`}>
          {state === "failed"
            ? "Nothing has failed here, or failed jobs were retried or removed."
            : `The queue holds no job that is ${state} now.`}
        </EmptyState>
      ) : (
        <>
          <Table label={`${state} jobs of ${title}`}>
            <THead>
              <Tr>
                <Th>Job</Th>
                <Th>Ran</Th>
                <Th>Created / finished</Th>
                <Th>{state === "failed" ? "Reason and data" : "Data"}</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </Tr>
            </THead>
            <TBody>
              {jobs.data.jobs.map((j) => (
                <Tr key={j.id}>
                  <Td>
                    <div className="font-medium">{j.name}</div>
                    <div className="font-mono text-xs text-muted-foreground">{j.id}</div>
                  </Td>
                  <Td className="tabular-nums">{j.attemptsMade}×</Td>
                  <Td className="text-xs">
                    <div>{when(j.createdAt)}</div>
                    <div className="text-muted-foreground">{when(j.finishedAt)}</div>
                  </Td>
                  <Td className="max-w-md">
                    {j.failedReason ? (
                      <p className="mb-1 text-sm text-danger dark:text-red-400">
                        <Badge tone="danger">failed</Badge> {j.failedReason}
                      </p>
                    ) : null}
                    <pre className="overflow-x-auto rounded bg-muted px-2 py-1 font-mono text-xs whitespace-pre-wrap break-all">
                      {j.data}
                    </pre>
                  </Td>
                  <Td className="text-right whitespace-nowrap">
                    <div className="flex justify-end gap-2">
                      {state === "failed" ? (
                        <Button
                          size="sm"
                          variant="secondary"
                          aria-label={`Retry job ${j.id}`}
                          pending={retry.isPending && retry.variables?.jobId === j.id}
                          onClick={() =>
                            retry.mutate(
                              { queue, jobId: j.id },
                              {
                                onSuccess: () => toast(`Job ${j.id} is waiting again`),
                                onError: (e) => toast(`Job ${j.id}: ${errorMessage(e)}`, "error"),
                              },
                            )
                          }
                        >
                          Retry
                        </Button>
                      ) : null}
                      {state !== "active" ? (
                        <ConfirmButton
                          trigger="Remove"
                          triggerLabel={`Remove job ${j.id}`}
                          title={`Remove job ${j.id}?`}
                          description={`The ${j.name} job leaves ${queue} and will not run. The control plane's reconciler re-queues work that is still needed.`}
                          confirmLabel="Remove job"
                          onConfirm={async () => {
                            await remove.mutateAsync({ queue, jobId: j.id });
                            toast(`Job ${j.id} removed`);
                          }}
                        />
                      ) : null}
                    </div>
                  </Td>
                </Tr>
              ))}
            </TBody>
          </Table>
          <CardBody className="flex items-center justify-between gap-3 text-sm text-muted-foreground">
            <span>
              {start + 1}–{start + jobs.data.jobs.length} of {jobs.data.total} {state}
            </span>
            <span className="flex gap-2">
              <Button
                size="sm"
                variant="secondary"
                disabled={start === 0}
                onClick={() => setStart(start - pageSize)}
              >
                Newer
              </Button>
              <Button
                size="sm"
                variant="secondary"
                disabled={start + pageSize >= jobs.data.total}
                onClick={() => setStart(start + pageSize)}
              >
                Older
              </Button>
            </span>
          </CardBody>
        </>
      )}
    </Card>
  );
}
