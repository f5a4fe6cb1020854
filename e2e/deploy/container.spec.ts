import { fileURLToPath } from "node:url";
import { expect, test } from "@playwright/test";
import { createTenant, newUser, signUp } from "../support/users";

// The whole journey against the stack's real agent: the example image runs under runc, its
// endpoint answers, its logs arrive live, it scales and goes away.
test("deploy the example at level container, open it, read its logs, scale to 3, delete", async ({
  page,
  context,
}) => {
  test.setTimeout(240_000);
  await signUp(page, newUser("Dana Deployer"));
  await page.waitForLoadState("networkidle");
  const tenantId = await createTenant(page, "Journey Co");

  await page.getByRole("button", { name: "New deployment" }).click();
  await page.getByLabel("Name").fill("hello");
  await page.getByLabel("Image").fill("127.0.0.1:5000/examples/hello:latest");
  await page.getByLabel("Isolation").selectOption("container");
  await page.getByLabel("Port").fill("8080");
  await page.getByRole("button", { name: "Create deployment" }).click();

  await page.getByRole("link", { name: "hello", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${tenantId}/deployments/[0-9a-f-]{36}$`));
  await expect(page.getByRole("heading", { name: "hello", level: 1 })).toBeVisible();
  const instances = page.getByRole("table", { name: "Instances of hello" });
  // the page polls every 5 s; placement, pull and start take a few seconds
  await expect(instances.getByRole("row").nth(1)).toContainText("running", { timeout: 90_000 });

  // its endpoint, opened as a user would, answers from inside the container
  const link = instances.getByRole("link", { name: /Open 127\.0\.0\.1:\d+ \(instance 0\)/ });
  const href = await link.getAttribute("href");
  expect(href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const site = await context.newPage();
  const res = await site.goto(href ?? "");
  expect(res?.status()).toBe(200);
  await expect(site.locator("body")).toContainText("Hello from Berth!");
  await site.close();

  // the workload's own output, then the request it just served, arrive in the log panel
  const log = page.getByRole("log", { name: "Logs" });
  await expect(log).toContainText("hello listening on port 8080", { timeout: 30_000 });
  await expect(log).toContainText("GET / 200", { timeout: 30_000 });

  await page.getByLabel("Replicas").fill("3");
  await page.getByRole("button", { name: "Scale" }).click();
  await expect(instances.getByRole("row")).toHaveCount(4);
  for (const row of [1, 2, 3])
    await expect(instances.getByRole("row").nth(row)).toContainText("running", { timeout: 90_000 });
  await expect(instances.getByRole("link", { name: /Open 127\.0\.0\.1:\d+/ })).toHaveCount(3);
  const shot = fileURLToPath(new URL("../../docs/screenshots/deployment-running.png", import.meta.url));
  await page.screenshot({ path: shot, fullPage: true });

  await page.getByRole("button", { name: "Delete hello" }).click();
  await page.getByRole("button", { name: "Delete deployment" }).click();
  await expect(page).toHaveURL(`/t/${tenantId}/deployments`);
  await expect(page.getByText("No deployments yet")).toBeVisible();
  // and the endpoint is gone with it
  await expect
    .poll(
      async () =>
        await fetch(href ?? "", { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.status,
          () => 0,
        ),
      {
        timeout: 30_000,
      },
    )
    .toBe(0);
});
