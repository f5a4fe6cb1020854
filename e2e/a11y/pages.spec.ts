import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, type BrowserContext, expect, type Page, test } from "@playwright/test";
import { goto } from "../support/app";
import { insertHost, makeOperator } from "../support/db";
import { failedPlacementJob } from "../support/queues";
import { createTenant, newUser, signUp } from "../support/users";

const shots = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });

// @axe-core/playwright types its page with the hoisted playwright-core (a newer release than
// @playwright/test's own); the two Page types differ only in methods axe never calls.
const axePage = (page: Page) => page as unknown as ConstructorParameters<typeof AxeBuilder>[0]["page"];

/** No serious or critical axe violations, in the light and the dark scheme; then a screenshot. */
async function audit(page: Page, name: string, { fullPage = true } = {}) {
  for (const colorScheme of ["dark", "light"] as const) {
    await page.emulateMedia({ colorScheme });
    const { violations } = await new AxeBuilder({ page: axePage(page) }).analyze();
    const bad = violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map(
        (v) =>
          `${v.id} (${v.impact}, ${colorScheme}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).join("\n  ")}`,
      );
    expect(bad, `${name} in ${colorScheme}`).toEqual([]);
  }
  await page.screenshot({ path: `${shots}${name}.png`, fullPage });
}

/** At phone width nothing may stick out sideways: wide tables scroll inside their card. */
async function fitsPhone(page: Page) {
  await page.setViewportSize({ width: 390, height: 844 });
  // The elements that widen the page: past the right edge and not inside a scrolling box.
  const culprits = await page.evaluate(() => {
    const clipped = (e: Element) => {
      for (let p = e.parentElement; p; p = p.parentElement) {
        if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true;
      }
      return false;
    };
    return [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !clipped(e))
      .slice(0, 5)
      .map((e) => `<${e.tagName.toLowerCase()} class="${e.getAttribute("class") ?? ""}">`);
  });
  expect(culprits).toEqual([]);
  await page.setViewportSize({ width: 1280, height: 800 });
}

test.describe.configure({ mode: "serial" });

let browser: Browser;
let ctx: BrowserContext;
let page: Page;
let tenantId: string;
const owner = newUser("Ada Admin");

test.beforeAll(async ({ browser: b }) => {
  browser = b;
  ctx = await browser.newContext();
  page = await ctx.newPage();
});
test.afterAll(async () => ctx.close());

test("sign-in and sign-up", async () => {
  await goto(page, "/sign-in");
  await audit(page, "sign-in");
  await goto(page, "/sign-up");
  // Errors shown, so that their colours are checked too.
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");
  await audit(page, "sign-up");
  await signUp(page, owner);
});

test("new tenant", async () => {
  await expect(page).toHaveURL(/\/tenants\/new$/);
  await page.getByLabel("Tenant name").fill("Northwind Labs");
  await expect(page.getByLabel("Slug")).toHaveValue("northwind-labs");
  await audit(page, "tenant-new");
  tenantId = await createTenant(page, "Northwind Labs");
});

test("deployments: empty, form with errors, list", async () => {
  await goto(page, `/t/${tenantId}/deployments`);
  await expect(page.getByText("npx berth deploy 127.0.0.1:5000/examples/hello --port 8080")).toBeVisible();
  await audit(page, "deployments-empty");

  await page.getByRole("button", { name: "New deployment" }).click();
  // suggestions from the registry's catalogue: container images, not the unikernel artifacts
  await expect(page.getByLabel("Image")).toHaveAccessibleDescription(
    /in the registries' catalogues fit container/,
  );
  await expect(page.locator('datalist option[value="127.0.0.1:5000/examples/hello:latest"]')).toHaveCount(1);
  await expect(page.locator('datalist option[value*="unikernel"]')).toHaveCount(0);
  await page.getByLabel("Name").fill("Web App");
  await page.getByLabel("Image").fill("not an image");
  await page.getByLabel("Port").fill("99999");
  await page.getByLabel("Memory (MiB)").fill("8");
  await page.getByLabel("Volume").fill("data:/etc");
  await page.getByLabel("Environment").fill("GREETING");
  await page.getByRole("button", { name: "Create deployment" }).click();
  await expect(page.getByLabel("Name")).toHaveAccessibleDescription(/lowercase letters, digits or dashes/);
  await expect(page.getByLabel("Image")).toHaveAccessibleDescription(/OCI image reference/);
  await expect(page.getByLabel("Port")).toHaveAccessibleDescription(/between 1 and 65535/);
  await expect(page.getByLabel("Memory (MiB)")).toHaveAccessibleDescription(/16/);
  await expect(page.getByLabel("Volume")).toHaveAccessibleDescription(/must not be \/, \/proc/i);
  await expect(page.getByLabel("Environment")).toHaveAccessibleDescription(/line 1 must look like KEY=value/);
  await audit(page, "deployments-form-errors");

  await page.getByLabel("Name").fill("web");
  await page.getByLabel("Image").fill("127.0.0.1:5000/examples/hello:latest");
  await page.getByLabel("Memory (MiB)").fill("256");
  await page.getByLabel("Volume").fill("");
  await page.getByLabel("Environment").fill("GREETING=hi");
  await page.getByLabel("Isolation").selectOption("microvm");
  // volumes are mounted at level container only: the field goes with the other levels
  await expect(page.getByLabel("Volume")).toHaveCount(0);
  await page.getByLabel("Port").fill("8080");
  await page.getByLabel("Replicas").fill("2");
  await page.getByRole("button", { name: "Create deployment" }).click();
  const row = page.getByRole("row", { name: /web/ });
  await expect(row).toContainText("microvm");
  // the stack's agent runs micro-VMs: they may already be placed and starting
  await expect(row).toContainText(/2 (pending|scheduled|starting|running)/);
  await expect(page.getByRole("meter", { name: "Instances used of the quota" })).toHaveAttribute(
    "value",
    "2",
  );
  await audit(page, "deployments");
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${shots}deployments-dark.png` });
  await page.emulateMedia({ colorScheme: "light" });
  await fitsPhone(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${shots}deployments-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  // its VMs would hold the stack's only host (2 cores) while the deploy journeys run
  await row.getByRole("button", { name: "Delete web" }).click();
  await page.getByRole("button", { name: "Delete deployment" }).click();
  await expect(page.getByRole("row", { name: /web/ })).toHaveCount(0);
});

test("deployment page: instances, update form with errors, rollout, history, events, logs", async () => {
  await goto(page, `/t/${tenantId}/deployments`);
  await page.getByRole("button", { name: "New deployment" }).click();
  await page.getByLabel("Name").fill("api");
  await page.getByLabel("Image").fill("127.0.0.1:5000/examples/hello:latest");
  await page.getByLabel("Isolation").selectOption("container");
  // a secret: its name is shown on the deployment page (and in the update form), its value nowhere
  await page.getByLabel("Secrets").fill("API_TOKEN=a11y-not-shown");
  await page.getByRole("button", { name: "Create deployment" }).click();
  await page.getByRole("link", { name: "api", exact: true }).click();
  await expect(page.getByRole("table", { name: "Secrets of api" })).toContainText("API_TOKEN");
  await expect(page.locator("body")).not.toContainText("a11y-not-shown");
  const instances = page.getByRole("table", { name: "Instances of api" });
  await expect(instances.getByRole("row").nth(1)).toContainText("running", { timeout: 90_000 });

  // the update form's messages are the API's zod messages, announced as the fields' descriptions
  await page.getByRole("button", { name: "Change image or settings" }).click();
  await page.getByLabel("Image").fill("Not An Image");
  await page.getByLabel("Memory (MiB)").fill("8");
  await page.getByLabel("Environment").fill("no equals sign");
  await page.getByRole("button", { name: "Roll out" }).click();
  await expect(page.getByLabel("Environment")).toHaveAccessibleDescription(/line 1 must look like KEY=value/);
  await page.getByLabel("Environment").fill("MODE=a11y");
  await page.getByRole("button", { name: "Roll out" }).click();
  await expect(page.getByLabel("Image")).toHaveAccessibleDescription(/OCI image reference/);
  await expect(page.getByLabel("Memory (MiB)")).toHaveAccessibleDescription(/16/);
  await audit(page, "deployment-update-errors");

  await page.getByLabel("Image").fill("127.0.0.1:5000/examples/hello:latest");
  await page.getByLabel("Memory (MiB)").fill("128");
  await page.getByRole("button", { name: "Roll out" }).click();
  await expect(page.getByRole("table", { name: "Generations of api" }).getByRole("row")).toHaveCount(3);
  await expect(page.getByText("Generation 2: 1 of 1 running")).toBeVisible({ timeout: 90_000 });
  await expect(page.getByRole("list", { name: "Events" })).toContainText("Updated env, memoryMiB");
  await audit(page, "deployment");
  await fitsPhone(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${shots}deployment-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole("button", { name: "Delete api" }).click();
  await page.getByRole("button", { name: "Delete deployment" }).click();
  await expect(page.getByText("No deployments yet")).toBeVisible();
});

test("members", async () => {
  await goto(page, `/t/${tenantId}/members`);
  await page.getByLabel("Email address").fill("grace@example.test");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("textbox", { name: "Invite link" })).toBeVisible();
  await audit(page, "members");
  await fitsPhone(page);
});

test("tokens", async () => {
  await goto(page, `/t/${tenantId}/tokens`);
  await page.getByLabel("Token name").fill("CI deploys");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByRole("textbox", { name: "New API token" })).toBeVisible();
  await audit(page, "tokens");
  await fitsPhone(page);
});

test("volumes: size, host and users, the quota meter, delete once unmounted", async () => {
  await goto(page, `/t/${tenantId}/deployments`);
  await page.getByRole("button", { name: "New deployment" }).click();
  await page.getByLabel("Name").fill("notes");
  await page.getByLabel("Image").fill("127.0.0.1:5000/examples/notes:latest");
  await page.getByLabel("Isolation").selectOption("container");
  await page.getByLabel("Volume").fill("notes-data:/data");
  await page.getByRole("button", { name: "Create deployment" }).click();
  await expect(page.getByRole("row", { name: /notes/ })).toBeVisible();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Volumes" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${tenantId}/volumes$`));
  const row = page.getByRole("table", { name: "Volumes" }).getByRole("row", { name: /notes-data/ });
  await expect(row).toContainText("1 GiB");
  await expect(row).toContainText("at /data");
  await expect(row.getByRole("link", { name: "notes", exact: true })).toHaveAttribute(
    "href",
    new RegExp(`/t/${tenantId}/deployments/[0-9a-f-]{36}$`),
  );
  // the stack's agent takes the instance, and the volume is bound to its host
  await expect(async () => {
    await page.reload();
    await expect(row).toContainText(/e2e-/, { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByRole("meter", { name: "Volume storage used of the quota" })).toHaveAttribute(
    "value",
    "1024",
  );
  // mounted: no delete until the deployment is gone
  await expect(row.getByRole("button", { name: "Delete volume notes-data" })).toHaveCount(0);
  await audit(page, "volumes");
  await fitsPhone(page);

  await row.getByRole("link", { name: "notes", exact: true }).click();
  await page.getByRole("button", { name: "Delete notes" }).click();
  await page.getByRole("button", { name: "Delete deployment" }).click();
  await expect(page.getByText("No deployments yet")).toBeVisible();
  await goto(page, `/t/${tenantId}/volumes`);
  await row.getByRole("button", { name: "Delete volume notes-data" }).click();
  await expect(page.getByRole("dialog")).toContainText(/Its data on e2e-\S+ is deleted too/);
  await page.getByRole("button", { name: "Delete volume", exact: true }).click();
  await expect(page.getByText("Volume notes-data deleted")).toBeVisible();
  await expect(page.getByText("No volumes yet")).toBeVisible();
});

test("API docs", async () => {
  await goto(page, "/docs/api");
  await expect(page.getByRole("heading", { name: "API reference" })).toBeVisible();
  await expect(page.getByRole("link", { name: "/api/v1/openapi.json" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "/tenants/{tenantId}/tokens" }).first()).toBeVisible();
  await audit(page, "api-docs", { fullPage: false });
  await fitsPhone(page);
});

test("operator hosts: the stack's own agent, then more hosts", async () => {
  const opCtx = await browser.newContext();
  const op = await opCtx.newPage();
  const operator = newUser("Otto Operator");
  await signUp(op, operator);
  await makeOperator(operator.email);
  await goto(op, "/operator/hosts");
  await expect(
    op.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Hosts" }),
  ).toBeVisible();
  // the e2e stack's real agent joined before the suite started, offering the container level
  await expect(op.getByRole("row", { name: /e2e-/ })).toContainText("container");

  await insertHost({ name: "edge-fra-1", status: "ready" });
  await insertHost({ name: "edge-fra-2", status: "ready", cordoned: true, accelerator: "nvidia-l4" });
  await insertHost({ name: "edge-ams-1", status: "down", heartbeatSecondsAgo: 540 });
  await op.reload();
  await expect(op.getByRole("row", { name: /edge-fra-2/ })).toContainText("cordoned");
  await audit(op, "hosts");
  await fitsPhone(op);
  await opCtx.close();

  // Everyone else is told the page is not for them, and has no link to it.
  await goto(page, "/operator/hosts");
  await expect(page.getByText("Platform operators only")).toBeVisible();
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Hosts" }),
  ).toHaveCount(0);
});

test("operator pages: tenants with the policy dialog, audit log, queues", async () => {
  const opCtx = await browser.newContext();
  const op = await opCtx.newPage();
  const operator = newUser("Opal Operator");
  await signUp(op, operator);
  await makeOperator(operator.email);
  await createTenant(op, "Opal Ops");
  await goto(op, "/operator/tenants");
  await expect(op.getByRole("row", { name: /Opal Ops/ })).toBeVisible();
  await audit(op, "operator-tenants");
  await fitsPhone(op);
  await op.getByRole("button", { name: "Edit policy of Opal Ops" }).click();
  await expect(op.getByRole("dialog", { name: "Policy of Opal Ops" })).toBeVisible();
  await audit(op, "operator-tenant-policy", { fullPage: false });
  await op.keyboard.press("Escape");
  await goto(op, "/operator/audit");
  await expect(op.getByRole("table", { name: "Audit log" })).toContainText("tenant.create");
  await audit(op, "operator-audit");
  await fitsPhone(op);
  // a malformed placement request the stack's real worker failed: read it, retry it, remove it
  const jobId = await failedPlacementJob();
  await goto(op, "/operator/queues");
  await expect(op.getByRole("row", { name: /Placement/ })).toBeVisible();
  const failed = op.getByRole("table", { name: "failed jobs of placement" });
  const job = failed.getByRole("row", { name: new RegExp(`\\b${jobId}\\b`) });
  await expect(job).toContainText("invalid placement payload");
  await expect(job).toContainText('"deploymentId":"e2e-not-a-uuid"');
  await audit(op, "operator-queues");
  await job.getByRole("button", { name: `Retry job ${jobId}` }).click();
  await expect(op.getByRole("status").filter({ hasText: `Job ${jobId} is waiting again` })).toBeVisible();
  // the worker fails it again at once: it comes back among the failed, run twice
  await expect(job).toContainText("2×", { timeout: 15_000 });
  await job.getByRole("button", { name: `Remove job ${jobId}` }).click();
  await op
    .getByRole("dialog", { name: `Remove job ${jobId}?` })
    .getByRole("button", { name: "Remove job" })
    .click();
  await expect(op.getByRole("status").filter({ hasText: `Job ${jobId} removed` })).toBeVisible();
  await expect(job).toHaveCount(0);
  await fitsPhone(op);
  await opCtx.close();
});
