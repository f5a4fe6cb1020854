import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { runOnFakeHost, shipLine } from "../support/agent";
import { goto } from "../support/app";
import { createTenant, newUser, signUp } from "../support/users";

// See a11y/pages.spec.ts: the two Page types differ only in methods axe never calls.
const axePage = (page: Page) => page as unknown as ConstructorParameters<typeof AxeBuilder>[0]["page"];

test("a deployment's page shows its instances' logs live, and passes axe", async ({ page }) => {
  await signUp(page, newUser("Log Reader"));
  // typed into before hydration, the form would submit empty
  await page.waitForLoadState("networkidle");
  const tenantId = await createTenant(page, "Log Co");
  const res = await page.request.post(`/api/v1/tenants/${tenantId}/deployments`, {
    // a label no real host carries: the stack's agent must not start these; the spec plays the host
    data: {
      name: "chatty",
      image: "127.0.0.1:5000/examples/hello:latest",
      replicas: 2,
      hostSelector: { "e2e-fake": "true" },
    },
  });
  expect(res.status()).toBe(200);
  const deploymentId = ((await res.json()) as { id: string }).id;
  const { hostId, instanceIds } = await runOnFakeHost(deploymentId);
  const [first = "", second = ""] = instanceIds;
  await shipLine(hostId, first, "listening on :8080");
  await shipLine(hostId, second, "listening on :8080 too");

  await goto(page, `/t/${tenantId}/deployments`);
  await page.getByRole("link", { name: "chatty" }).click();
  await expect(page.getByRole("heading", { name: "chatty", level: 1 })).toBeVisible();
  const log = page.getByRole("log", { name: "Logs" });
  await expect(log).toContainText("listening on :8080 too");
  await expect(page.getByText("Live", { exact: true })).toBeVisible();

  const sent = Date.now();
  await shipLine(hostId, first, "GET / 200");
  await expect(log.getByRole("listitem").last()).toContainText("GET / 200", { timeout: 2000 });
  console.log(`line shipped to line on screen: ${Date.now() - sent} ms`);
  await expect(log.getByRole("listitem").last()).toContainText("instance #0");

  for (const colorScheme of ["dark", "light"] as const) {
    await page.emulateMedia({ colorScheme });
    const { violations } = await new AxeBuilder({ page: axePage(page) }).analyze();
    const bad = violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map(
        (v) => `${v.id} (${colorScheme}): ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
      );
    expect(bad).toEqual([]);
  }
  const shot = fileURLToPath(new URL("../../docs/screenshots/deployment-logs.png", import.meta.url));
  await page.screenshot({ path: shot, fullPage: true });
});
