// `npm test`: setup for tests (chromium, a built app, no seed), unit tests, then e2e.
// e2e runs even when vitest failed, so one run reports every failure.
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { root, run, SetupError } from "./lib.mjs";
import { setup } from "./setup.mjs";

const results = [];
const totals = { passed: 0, failed: 0, skipped: 0 };

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
  const vitestJson = path.join(root, ".berth/vitest-report.json");
  rmSync(vitestJson, { force: true });
  await timed("vitest", () =>
    run(
      "npx",
      ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestJson}`],
      {
        env: childEnv,
      },
    ),
  );
  countFrom(vitestJson, (r) => [r.numPassedTests, r.numFailedTests, r.numPendingTests + r.numTodoTests]);
  if (existsSync(path.join(root, "e2e/run.mjs"))) {
    const e2eJson = path.join(root, ".berth/e2e-report.json");
    rmSync(e2eJson, { force: true });
    await timed("e2e", () =>
      run(process.execPath, ["e2e/run.mjs"], { env: { ...childEnv, BERTH_E2E_JSON: e2eJson } }),
    );
    countFrom(e2eJson, (r) => [r.stats.expected, r.stats.unexpected + r.stats.flaky, r.stats.skipped]);
  } else {
    results.push({ name: "e2e", status: "skipped (e2e/run.mjs not present)", ms: 0 });
  }
  await timed("lint", () => run("npx", ["biome", "check", "."], { env: childEnv }));
  await timed("typecheck", () => run("npm", ["run", "--silent", "typecheck"], { env: childEnv }));
} else {
  results.push({ name: "vitest", status: "not run", ms: 0 }, { name: "e2e", status: "not run", ms: 0 });
}

/** Adds a runner's counts from its JSON report to the totals printed at the end. */
function countFrom(file, pick) {
  if (!existsSync(file)) return;
  const [p, f, s] = pick(JSON.parse(readFileSync(file, "utf8")));
  totals.passed += p;
  totals.failed += f;
  totals.skipped += s;
}

console.log("\n[berth] summary");
for (const { name, status, ms } of results)
  console.log(`  ${name.padEnd(9)} ${(ms / 1000).toFixed(1).padStart(6)} s  ${status}`);
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(results.some((r) => r.status !== "ok" && !r.status.startsWith("skipped")) ? 1 : 0);
