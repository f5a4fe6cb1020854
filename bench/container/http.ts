// The HTTP probe: a raw TCP connection per attempt, `GET /`, success on an `HTTP/1.x 200` status
// line. Attempts follow each other every `pollMs`; each has its own connect timeout, so a dropped
// SYN costs at most that, not the kernel's 1 s retransmission.
import { connect } from "node:net";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function probeOnce(endpoint: string, timeoutMs: number): Promise<boolean> {
  const i = endpoint.lastIndexOf(":");
  const host = endpoint.slice(0, i);
  const port = Number(endpoint.slice(i + 1));
  return new Promise((resolve) => {
    let buf = "";
    let settled = false;
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.setNoDelay(true);
    s.on("connect", () => s.write("GET / HTTP/1.0\r\nHost: bench\r\n\r\n"));
    s.on("data", (d) => {
      buf += d.toString("latin1");
      if (buf.includes("\r\n")) done(/^HTTP\/1\.[01] 200 /.test(buf));
    });
    s.on("error", () => done(false));
    s.on("close", () => done(/^HTTP\/1\.[01] 200 /.test(buf)));
  });
}

/** performance.now() of the first 200, or null at the deadline (a performance.now() value). */
export async function waitFor200(
  endpoint: string,
  o: { deadline: number; pollMs: number; connectTimeoutMs: number; stop?: () => boolean },
): Promise<{ at: number; attempts: number } | null> {
  for (let attempts = 1; ; attempts++) {
    if (await probeOnce(endpoint, o.connectTimeoutMs)) return { at: performance.now(), attempts };
    if (performance.now() > o.deadline || o.stop?.()) return null;
    if (o.pollMs > 0) await sleep(o.pollMs);
  }
}
