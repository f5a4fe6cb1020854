"use client";
import type { DeploymentDto, LogLineDto } from "@berth/contracts";
import { useEffect, useId, useRef, useState } from "react";
import { errorMessage } from "@/lib/errors";
import { Badge, type BadgeTone } from "../ui/badge";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { Checkbox, Input } from "../ui/input";
import { useToast } from "../ui/toast";

/** Lines kept in the page; older ones scroll out (the API keeps ~5,000 per instance). */
const KEEP = 2000;
const TAIL = 500;

type Status = "connecting" | "live" | "reconnecting" | "ended";
const statusText: Record<Status, [string, BadgeTone]> = {
  connecting: ["Connecting", "neutral"],
  live: ["Live", "success"],
  reconnecting: ["Reconnecting", "warning"],
  ended: ["Stopped", "danger"],
};

const timeFmt = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/**
 * The deployment's stdout and stderr as they are shipped: server-sent events from the logs route
 * (`follow=true`). The browser reconnects by itself; the server then sends the last lines again,
 * which the entry ids let us drop. Scrolls with new lines while the reader is at the bottom.
 */
export function LogPanel({ deployment }: { deployment: DeploymentDto }) {
  const [lines, setLines] = useState<LogLineDto[]>([]);
  const [status, setStatus] = useState<Status>("connecting");
  const [ended, setEnded] = useState<string | null>(null);
  const [stick, setStick] = useState(true);
  const [filter, setFilter] = useState("");
  const box = useRef<HTMLDivElement>(null);
  const toast = useToast();
  const ids = useId();
  const { tenantId, id } = deployment;

  useEffect(() => {
    const seen = new Set<string>();
    setLines([]);
    setEnded(null);
    setStatus("connecting");
    const url = `/api/v1/tenants/${tenantId}/deployments/${id}/logs?follow=true&tail=${TAIL}`;
    const source = new EventSource(url, { withCredentials: true });
    let pending: LogLineDto[] = [];
    let frame = 0;
    // Lines come in bursts (the last TAIL at once): one state update per animation frame.
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      setLines((old) => [...old, ...batch].slice(-KEEP));
    };
    source.onopen = () => setStatus("live");
    source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? "ended" : "reconnecting");
    source.onmessage = (e: MessageEvent<string>) => {
      const line = JSON.parse(e.data) as LogLineDto;
      const key = `${line.instanceId}/${line.id}`;
      if (seen.has(key)) return;
      seen.add(key);
      pending.push(line);
      frame ||= requestAnimationFrame(flush);
    };
    source.addEventListener("end", (e) => {
      source.close();
      setStatus("ended");
      setEnded((JSON.parse((e as MessageEvent<string>).data) as { message?: string }).message ?? "ended");
    });
    return () => {
      source.close();
      cancelAnimationFrame(frame);
    };
  }, [tenantId, id]);

  const needle = filter.trim().toLowerCase();
  const shown = needle ? lines.filter((l) => l.line.toLowerCase().includes(needle)) : lines;

  useEffect(() => {
    const el = box.current;
    if (el && stick && shown.length) el.scrollTop = el.scrollHeight;
  }, [shown, stick]);

  const ordinal = new Map(deployment.instances.map((i) => [i.id, i.ordinal]));
  const [label, tone] = statusText[status];

  // The download asks the API for up to 10,000 lines, more than the page keeps.
  async function download() {
    try {
      const res = await fetch(`/api/v1/tenants/${tenantId}/deployments/${id}/logs?tail=10000`, {
        credentials: "include",
      });
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
      const body = (await res.json()) as { lines: LogLineDto[] };
      const text = body.lines
        .map((l) => `${l.ts} #${ordinal.get(l.instanceId) ?? l.instanceId} ${l.line}`)
        .join("\n");
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([`${text}\n`], { type: "text/plain" }));
      a.download = `${deployment.name}-logs.txt`;
      a.click();
      URL.revokeObjectURL(a.href);
    } catch (err) {
      toast(`Could not download the logs: ${errorMessage(err)}`, "error");
    }
  }
  return (
    <Card>
      <CardHeader
        id="logs-heading"
        title="Logs"
        description="Standard output and error of every instance, newest at the bottom."
        actions={
          <>
            {!stick ? (
              <Button variant="secondary" size="sm" onClick={() => setStick(true)}>
                Jump to latest
              </Button>
            ) : null}
            <Button variant="secondary" size="sm" onClick={download}>
              Download
            </Button>
            <Badge tone={tone}>{label}</Badge>
          </>
        }
      />
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2 px-5 py-3">
        <label htmlFor={`${ids}-filter`} className="sr-only">
          Filter log lines
        </label>
        <Input
          id={`${ids}-filter`}
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          placeholder="Filter lines"
          className="max-w-xs"
          aria-describedby={`${ids}-count`}
        />
        <label htmlFor={`${ids}-follow`} className="flex items-center gap-2 text-sm">
          <Checkbox id={`${ids}-follow`} checked={stick} onChange={(e) => setStick(e.target.checked)} />
          Follow
        </label>
        <p id={`${ids}-count`} className="text-xs text-muted-foreground tabular-nums">
          {needle ? `${shown.length} of ${lines.length} lines match` : `${lines.length} lines`}
        </p>
      </div>
      {ended ? <p className="px-5 pt-3 text-sm text-muted-foreground">The stream ended: {ended}</p> : null}
      <div
        ref={box}
        role="log"
        aria-labelledby="logs-heading"
        // a busy workload would flood a screen reader; the region is read on demand instead
        aria-live="off"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          setStick(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
        }}
        // relative: the lines' sr-only labels are positioned absolutely; without it they would lengthen the page
        className="relative h-96 overflow-auto rounded-b-lg bg-zinc-950 px-4 py-3 font-mono text-xs leading-5 text-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
      >
        {shown.length === 0 && needle && lines.length ? (
          <p className="text-zinc-400">No line contains “{filter.trim()}”.</p>
        ) : lines.length === 0 ? (
          <p className="text-zinc-400">
            {status === "live"
              ? "No output yet. New lines appear here as the instances write them."
              : "Waiting for the log stream…"}
          </p>
        ) : (
          <ol>
            {shown.map((l) => (
              <li key={`${l.instanceId}/${l.id}`} className="flex gap-3 whitespace-pre-wrap break-all">
                <time dateTime={l.ts} className="shrink-0 select-none text-zinc-400">
                  {timeFmt.format(new Date(l.ts))}
                </time>
                <span className="shrink-0 select-none text-sky-300" title={l.instanceId}>
                  <span className="sr-only">instance </span>#{ordinal.get(l.instanceId) ?? "?"}
                </span>
                <span className="min-w-0">{l.line}</span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </Card>
  );
}
