// `npm test`: setup for tests (chromium, a built app, no seed), unit tests, then e2e.
// e2e runs even when vitest failed, so one run reports every failure.
import { existsSync } from "node:fs";
import path from "node:path";
import { root, run, SetupError } from "./lib.mjs";
import { setup } from "./setup.mjs";

const results = [];

async function timed(name, fn) {
  const t0 = performance.now();
  let status = "ok";
  try {
    await fn();
  } catch (e) {
    status = "FAILED";
    console.error(e instanceof SetupError ? `[berth] error: ${e.message}` : e);
  }
  results.push({ name, status, ms: performance.now() - t0 });
  return status === "ok";
}

let env;
if (await timed("setup", async () => (env = await setup({ forTests: true })))) {
  const childEnv = { ...process.env, ...env };
  await timed("vitest", () => run("npx", ["vitest", "run"], { env: childEnv }));
  if (existsSync(path.join(root, "e2e/run.mjs"))) {
    await timed("e2e", () => run(process.execPath, ["e2e/run.mjs"], { env: childEnv }));
  } else {
    results.push({ name: "e2e", status: "skipped (e2e/run.mjs not present)", ms: 0 });
  }
} else {
  results.push({ name: "vitest", status: "not run", ms: 0 }, { name: "e2e", status: "not run", ms: 0 });
}

console.log("\n[berth] summary");
for (const { name, status, ms } of results)
  console.log(`  ${name.padEnd(7)} ${(ms / 1000).toFixed(1).padStart(6)} s  ${status}`);
process.exit(results.some((r) => r.status !== "ok" && !r.status.startsWith("skipped")) ? 1 : 0);
