// Raw TCP clients for robustness.test.ts: one exchange of arbitrary bytes, a plain GET with the
// hello app's request counter, handshakes abandoned halfway, and idle connections held open.
// Plain sockets, not fetch: each call is exactly one connection, sending exactly these bytes.
import { connect, type Socket } from "node:net";

const split = (endpoint: string) => {
  const i = endpoint.lastIndexOf(":");
  return { host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
};

export type Exchange = {
  /** What the server sent (latin1). */
  reply: string;
  /** The server ended the connection (FIN or RST) before our deadline. */
  closedByServer: boolean;
  reset: boolean;
  connectFailed: boolean;
  /** The socket's error code, if any (ECONNRESET, ECONNREFUSED, EPIPE). */
  errorCode?: string;
};

/**
 * Connects, sends `payload` (then our FIN when `halfClose`) and reads until the server closes or
 * `waitMs` passes (then we destroy: the server hung on to the connection).
 */
export function exchange(
  endpoint: string,
  payload: string | Buffer,
  o: { halfClose: boolean; waitMs: number },
): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let connected = false;
    let reset = false;
    let errorCode: string | undefined;
    let settled = false;
    const s = connect(split(endpoint));
    const done = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      const reply = Buffer.concat(chunks).toString("latin1");
      resolve({
        reply,
        closedByServer,
        reset,
        connectFailed: !connected,
        ...(errorCode ? { errorCode } : {}),
      });
    };
    const timer = setTimeout(() => done(false), o.waitMs);
    s.on("connect", () => {
      connected = true;
      // Writes after the server closed fail with EPIPE/ECONNRESET: that is its answer, not ours.
      s.write(payload, () => o.halfClose && s.end());
    });
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("error", (err: NodeJS.ErrnoException) => {
      reset = true;
      errorCode = err.code;
      done(connected);
    });
    s.on("close", () => done(connected));
  });
}

export type Got = { status: number; counter: number; ms: number; error?: string };

/** `GET /` on a fresh connection; the status and the page's `request #N` (NaN if none). */
export async function get(endpoint: string, timeoutMs: number): Promise<Got> {
  const t0 = performance.now();
  const r = await exchange(endpoint, "GET / HTTP/1.1\r\nHost: robust\r\nConnection: close\r\n\r\n", {
    halfClose: false,
    waitMs: timeoutMs,
  });
  const status = Number(r.reply.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? 0);
  const counter = Number(r.reply.match(/request #(\d+)/)?.[1]);
  const ms = performance.now() - t0;
  if (status) return { status, counter, ms };
  const why = r.connectFailed
    ? `no connection (${r.errorCode ?? "closed"})`
    : r.closedByServer
      ? "closed without an answer"
      : "timed out";
  return { status, counter, ms, error: why };
}

/**
 * A handshake given up: "syn" destroys the socket right after connect() (our kernel then answers
 * the SYN-ACK with a RST, leaving the server a half-open slot to clear); "established" resets
 * the connection (SO_LINGER 0) as soon as it is up. Returns how far it got.
 */
export function abandon(
  endpoint: string,
  how: "syn" | "established",
): Promise<"syn" | "established" | "timeout"> {
  return new Promise((resolve) => {
    const s = connect(split(endpoint));
    s.on("error", () => {});
    const timer = setTimeout(() => {
      s.destroy();
      resolve("timeout");
    }, 5000);
    if (how === "syn")
      setImmediate(() => {
        clearTimeout(timer);
        s.destroy();
        resolve("syn");
      });
    else
      s.on("connect", () => {
        clearTimeout(timer);
        s.resetAndDestroy();
        resolve("established");
      });
  });
}

/** `n` connections that never send, held for at least `quietMs` before this resolves. */
export async function hold(endpoint: string, n: number, quietMs: number) {
  const sockets: Socket[] = [];
  let connected = 0;
  for (let i = 0; i < n; i++) {
    const s = connect(split(endpoint));
    s.on("error", () => {}); // evicted hoarders are reset: expected
    s.on("connect", () => connected++);
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, quietMs));
  return {
    get connected() {
      return connected;
    },
    release: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
