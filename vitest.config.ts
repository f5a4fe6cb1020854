import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{apps,packages}/*/src/**/*.test.ts", "agent/src/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/.next/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files share Postgres and Redis; each makes its own database and key prefix, so they may
    // run in parallel, but keep it to the machine's two cores.
    maxWorkers: 2,
  },
});
