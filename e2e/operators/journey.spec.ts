import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type Browser, expect, type Page, test } from "@playwright/test";
import { goto } from "../support/app";
import { makeOperator } from "../support/db";
import { createTenant, newUser, signUp } from "../support/users";
import { placementOf, statusOf } from "./placement";
import { type SecondAgent, startSecondAgent } from "./second-agent";

// The operator's journey against real agents: a join token issued on the hosts page enrolls a
// second agent on this machine, the stack's own host is cordoned and drained, and a tenant's
// instances move to the new host while their endpoints keep answering. Then the hosts are put
// back: the first uncordoned, the second removed once empty.
const shot = (name: string) => fileURLToPath(new URL(`../../docs/screenshots/${name}`, import.meta.url));
const secondName = `ops-second-${randomBytes(3).toString("hex")}`;
let second: SecondAgent | undefined;

test.afterAll(async () => {
  // stopping the agent waits up to 5 s, then its containers are removed one by one
  test.setTimeout(120_000);
  const t0 = Date.now();
  await second?.stop();
  console.log(`[operators] second agent stopped and cleaned in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

async function deployThree(browser: Browser): Promise<{ page: Page; tenantId: string }> {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, newUser("Tara Tenant"));
  const tenantId = await createTenant(page, "Drain Journey");
  await page.getByRole("button", { name: "New deployment" }).click();
  await page.getByLabel("Name").fill("web");
  await page.getByLabel("Image").fill("127.0.0.1:5000/examples/hello:latest");
  await page.getByLabel("Isolation").selectOption("container");
  await page.getByLabel("Port").fill("8080");
  await page.getByLabel("Replicas").fill("3");
  await page.getByRole("button", { name: "Create deployment" }).click();
  await expect(page.getByRole("row", { name: /web/ })).toBeVisible();
  return { page, tenantId };
}

test("issue a join token, enroll a second agent, cordon and drain: the instances move", async ({
  browser,
}) => {
  test.setTimeout(480_000);
  const started = Date.now();
  const lap = (what: string) =>
    console.log(`[operators] ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const opCtx = await browser.newContext();
  const op = await opCtx.newPage();
  const operator = newUser("Olga Operator");
  await signUp(op, operator);
  await makeOperator(operator.email);
  await goto(op, "/operator/hosts");
  const hosts = op.getByRole("table", { name: "Hosts" });
  // the stack's own agent, joined before the suite (run.mjs names it e2e-<run id>)
  const first = hosts.getByRole("row", { name: /\be2e-[0-9a-f]{8}\b/ });
  await expect(first).toContainText("ready");
  const firstName = (await first.locator("td").first().locator("div").first().textContent())?.trim() ?? "";
  expect(firstName).toMatch(/^e2e-[0-9a-f]{8}$/);

  // A tenant's three replicas, all on the only host there is.
  const tenant = await deployThree(browser);
  await expect
    .poll(async () => (await placementOf(tenant.tenantId, "web")).map((i) => `${i.state}@${i.host}`), {
      timeout: 120_000,
    })
    .toEqual(Array(3).fill(`running@${firstName}`));
  lap("3 instances running on the first host");

  // The join token, and the exact command the page tells the operator to run.
  await op.getByRole("button", { name: "Issue join token" }).click();
  const command = await op.getByRole("textbox", { name: "Run on the new host" }).inputValue();
  expect(command).toMatch(/^berth-agent join --server http:\/\/127\.0\.0\.1:\d+ --token bjoin_\S+$/);
  second = await startSecondAgent(command, secondName);
  const row2 = hosts.getByRole("row", { name: new RegExp(secondName) });
  await expect(row2).toContainText("ready", { timeout: 60_000 });
  await expect(row2).toContainText("container");
  lap("second host ready on the page");
  // At a laptop's 1280 px the table fits its card: no row action hides behind a sideways scroll.
  expect(await hosts.locator("xpath=..").evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
  // scrolled to vertically (the page is taller than the window), it is then fully in view
  const drain2 = row2.getByRole("button", { name: `Drain ${secondName}` });
  await drain2.scrollIntoViewIfNeeded();
  await expect(drain2).toBeInViewport({ ratio: 1 });

  // Cordon: no new instances go to the first host.
  await op.getByRole("button", { name: `Cordon ${firstName}` }).click();
  await expect(op.getByRole("status").filter({ hasText: `${firstName} cordoned` })).toBeVisible();
  await expect(first.getByText("cordoned", { exact: true })).toBeVisible();

  // Drain, confirmed in a dialog; the row shows its progress while the instances move.
  await op.getByRole("button", { name: `Drain ${firstName}` }).click();
  const dialog = op.getByRole("dialog", { name: `Drain ${firstName}?` });
  await expect(dialog).toContainText("3 instance(s) move to other hosts");
  await dialog.getByRole("button", { name: "Drain host" }).click();
  await expect(op.getByRole("status").filter({ hasText: `${firstName}: drain started` })).toBeVisible();
  const progress = first.getByRole("progressbar", { name: `Drain of ${firstName}` });
  await expect(progress).toBeAttached();
  await expect(first).toContainText(/Draining: [0-2] of 3 moved/);
  await op.screenshot({ path: shot("hosts-draining.png"), fullPage: true });
  await expect(first).toContainText("Drained: 3 instances moved", { timeout: 240_000 });
  await expect(progress).toHaveAttribute("value", "3");
  lap("drain done on the page");

  // Every instance now runs on the second host, its endpoint in that agent's port range, answering.
  const moved = await placementOf(tenant.tenantId, "web");
  expect(moved.map((i) => `${i.state}@${i.host}`)).toEqual(Array(3).fill(`running@${secondName}`));
  for (const i of moved) {
    expect(i.endpoints[0]).toMatch(/^127\.0\.0\.1:31\d{3}$/);
    await expect.poll(() => statusOf(i.endpoints[0] ?? ""), { timeout: 20_000 }).toBe(200);
  }
  await expect(row2.getByRole("meter", { name: "Instances reserved" })).toHaveAttribute("value", "3");
  await op.screenshot({ path: shot("hosts-drained.png"), fullPage: true });

  // Back to service: the first host takes work again.
  await op.getByRole("button", { name: `Uncordon ${firstName}` }).click();
  await expect(op.getByRole("status").filter({ hasText: `${firstName} uncordoned` })).toBeVisible();
  await expect(first.getByText("cordoned", { exact: true })).toHaveCount(0);

  // A busy host cannot be removed: the dialog says why and stays open.
  await op.getByRole("button", { name: `Remove ${secondName}` }).click();
  const removal = op.getByRole("dialog", { name: `Remove ${secondName}?` });
  await removal.getByRole("button", { name: "Remove host" }).click();
  await expect(removal).toContainText("drain it first");
  await removal.getByRole("button", { name: "Cancel" }).click();

  // Once the tenant's deployment is gone the second host is empty, and removed.
  const t = tenant.page;
  await t.getByRole("link", { name: "web", exact: true }).click();
  await t.getByRole("button", { name: "Delete web" }).click();
  await t.getByRole("button", { name: "Delete deployment" }).click();
  await expect(t.getByText("No deployments yet")).toBeVisible();
  await expect(row2.getByRole("meter", { name: "Instances reserved" })).toHaveAttribute("value", "0", {
    timeout: 60_000,
  });
  await op.getByRole("button", { name: `Remove ${secondName}` }).click();
  await removal.getByRole("button", { name: "Remove host" }).click();
  await expect(op.getByRole("status").filter({ hasText: `${secondName} removed` })).toBeVisible();
  await expect(row2).toContainText("removed");
  lap("second host removed");
  await opCtx.close();
});
