import { defineConfig } from "@playwright/test";

// Started by run.mjs, which builds a throwaway database and server and sets BERTH_E2E_URL.
const baseURL = process.env.BERTH_E2E_URL;
if (!baseURL) throw new Error("BERTH_E2E_URL is not set: run the suite with `node e2e/run.mjs`");

export default defineConfig({
  testDir: ".",
  testMatch: "**/*.spec.ts",
  testIgnore: ["**/node_modules/**"],
  workers: 1,
  retries: 0,
  // npm test adds a JSON report to count the results with vitest's
  reporter: process.env.BERTH_E2E_JSON
    ? [["list"], ["json", { outputFile: process.env.BERTH_E2E_JSON }]]
    : "list",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    browserName: "chromium",
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // The system Chromium; the suite never downloads browsers.
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium" }],
});
