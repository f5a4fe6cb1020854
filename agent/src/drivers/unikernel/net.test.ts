// The unikernel's protocol stack (native/unikernel/net, its HTTP server and both apps) and the
// environment's parser (platform/env.c) tested on the host: `make -C native/unikernel/test` builds
// the C test program with AddressSanitizer and UBSan against fake os_* functions and runs it. Wrapped here so `npm test` runs it too.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const repoRoot = new URL("../../../../", import.meta.url).pathname;

/** Runs the make target; resolves with its combined output and exit code (never rejects). */
async function hostTests() {
  return run("make", ["-C", join(repoRoot, "native/unikernel/test")], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 240_000,
  }).then(
    (r) => ({ out: r.stdout + r.stderr, code: 0 }),
    (e: { stdout?: string; stderr?: string; code?: number }) => ({
      out: `${e.stdout ?? ""}${e.stderr ?? ""}`,
      code: e.code ?? 1,
    }),
  );
}

describe("unikernel network stack (host tests)", () => {
  it("passes every check, fuzz included", { timeout: 300_000 }, async () => {
    const { out, code } = await hostTests();
    const total = /total: (\d+) checks, (\d+) failed/.exec(out);
    // On failure the assertion message carries the C program's FAIL lines.
    expect({ code, failed: total?.[2], fails: out.split("\n").filter((l) => l.includes("FAIL")) }).toEqual({
      code: 0,
      failed: "0",
      fails: [],
    });
    expect(Number(total?.[1])).toBeGreaterThan(700);
    for (const suite of [
      "link",
      "tcp",
      "tcp timers and limits",
      "http parsing",
      "env from the command line",
      "apps over TCP",
      "fuzz",
    ])
      expect(out).toMatch(new RegExp(`^${suite}\\b.* \\d+ checks, 0 failed$`, "m"));
    expect(out).toMatch(/fuzz: 100000 frames/);
  });
});
