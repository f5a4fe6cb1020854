import { cn } from "@/lib/cn";

/** Fill colour by how full the host is: past 90 % the scheduler soon has to look elsewhere. */
function fillClass(ratio: number) {
  if (ratio >= 0.9) return "bg-red-600 dark:bg-red-400";
  if (ratio >= 0.7) return "bg-amber-500 dark:bg-amber-400";
  return "bg-emerald-600 dark:bg-emerald-400";
}

/**
 * One resource of a host, reserved against capacity: the text says it, the bar shows it. The
 * bar is a meter for assistive technology (the value in words), not a decoration.
 */
export function CapacityBar({
  label,
  used,
  total,
  format,
}: {
  label: string;
  used: number;
  total: number;
  format: (n: number) => string;
}) {
  const ratio = total > 0 ? Math.min(used / total, 1) : 0;
  const text = `${format(used)} of ${format(total)}`;
  return (
    <div className="grid gap-1">
      <div className="flex justify-between gap-3 text-xs">
        <span className="text-muted-foreground">{label}</span>
        <span className="tabular-nums whitespace-nowrap">{text}</span>
      </div>
      {/* the native element speaks to assistive technology; the bar beside it is drawn for the eye */}
      <meter
        className="sr-only"
        aria-label={`${label} reserved`}
        min={0}
        max={total}
        value={Math.min(used, total)}
      >
        {text}
      </meter>
      <div aria-hidden className="h-1.5 overflow-hidden rounded-full bg-muted ring-1 ring-border ring-inset">
        <div className={cn("h-full rounded-full", fillClass(ratio))} style={{ width: `${ratio * 100}%` }} />
      </div>
    </div>
  );
}

/** A drain's progress: instances moved off the host out of all it had when the drain began. */
export function DrainProgress({
  hostName,
  moved,
  remaining,
}: {
  hostName: string;
  moved: number;
  remaining: number;
}) {
  const total = moved + remaining;
  const done = remaining === 0;
  const text = done
    ? `Drained: ${moved} instance${moved === 1 ? "" : "s"} moved`
    : `Draining: ${moved} of ${total} moved, ${remaining} left`;
  return (
    <div className="mt-2 grid gap-1">
      <span className="text-xs text-muted-foreground" aria-live="polite">
        {text}
      </span>
      <progress
        className="sr-only"
        aria-label={`Drain of ${hostName}`}
        max={Math.max(total, 1)}
        value={done ? Math.max(total, 1) : moved}
      >
        {text}
      </progress>
      <div
        aria-hidden
        className="h-1.5 w-40 max-w-full overflow-hidden rounded-full bg-muted ring-1 ring-border ring-inset"
      >
        <div
          className={cn("h-full rounded-full bg-blue-600 dark:bg-blue-400", done ? "" : "animate-pulse")}
          style={{ width: `${total === 0 ? 100 : (moved / total) * 100}%` }}
        />
      </div>
    </div>
  );
}
