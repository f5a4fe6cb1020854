import type { DeploymentDto } from "@berth/contracts";
import { formatBytes, formatRelative } from "@/lib/format";
import { Td, Th } from "../ui/table";
import { type Sample, Sparkline } from "./sparkline";

type Metrics = DeploymentDto["instances"][number]["metrics"];

/** The instances table's usage columns, from the latest heartbeat's cgroup sample. */
export function MetricsHeaders() {
  return (
    <>
      <Th className="text-right">CPU</Th>
      <Th className="text-right">Memory</Th>
      <Th className="text-right">
        <abbr title="processes (used / limit)">PIDs</abbr>
      </Th>
    </>
  );
}

/** "—" reads as "none" to screen readers; the sample's age shows on hover. */
function Value({ text, sampledAt }: { text: string | null; sampledAt?: string }) {
  if (text === null)
    return (
      <>
        <span aria-hidden="true">—</span>
        <span className="sr-only">none</span>
      </>
    );
  return <span title={sampledAt ? `sampled ${formatRelative(sampledAt)}` : undefined}>{text}</span>;
}

const usage = (used: string, limit: string | null) => (limit === null ? used : `${used} / ${limit}`);

export function MetricsCells({ metrics: m, history = [] }: { metrics: Metrics; history?: Sample[] }) {
  const cpu = history.flatMap((h) => (h.cpu === null ? [] : [h.cpu]));
  const mem = history.map((h) => h.memory);
  const cell = "whitespace-nowrap text-right tabular-nums";
  const at = m?.sampledAt;
  return (
    <>
      <Td className={cell}>
        <Sparkline
          values={cpu}
          floor={5}
          label={`CPU over the last ${cpu.length} samples, up to ${Math.max(...cpu).toFixed(1)} %`}
        />{" "}
        <Value text={m?.cpuPercent != null ? `${m.cpuPercent.toFixed(1)} %` : null} sampledAt={at} />
      </Td>
      <Td className={cell}>
        <Sparkline
          values={mem}
          floor={1 << 20}
          label={`Memory over the last ${mem.length} samples, up to ${formatBytes(Math.max(...mem))}`}
        />{" "}
        <Value
          text={
            m
              ? usage(
                  formatBytes(m.memoryBytes),
                  m.memoryLimitBytes === null ? null : formatBytes(m.memoryLimitBytes),
                )
              : null
          }
          sampledAt={at}
        />
      </Td>
      <Td className={cell}>
        <Value
          text={m ? usage(String(m.pids), m.pidsLimit === null ? null : String(m.pidsLimit)) : null}
          sampledAt={at}
        />
      </Td>
    </>
  );
}
