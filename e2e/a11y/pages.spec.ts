import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, type BrowserContext, expect, type Page, test } from "@playwright/test";
import { insertHost, makeOperator } from "../support/db";
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
  await page.goto("/sign-in");
  await audit(page, "sign-in");
  await page.goto("/sign-up");
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
  await page.goto(`/t/${tenantId}/deployments`);
  await expect(page.getByText("npx berth deploy 127.0.0.1:5000/examples/hello --port 8080")).toBeVisible();
  await audit(page, "deployments-empty");

  await page.getByRole("button", { name: "New deployment" }).click();
  await page.getByLabel("Name").fill("Web App");
  await page.getByLabel("Image").fill("not an image");
  await page.getByLabel("Port").fill("99999");
  await page.getByRole("button", { name: "Create deployment" }).click();
  await expect(page.getByLabel("Name")).toHaveAccessibleDescription(/lowercase letters, digits or dashes/);
  await expect(page.getByLabel("Image")).toHaveAccessibleDescription(/OCI image reference/);
  await expect(page.getByLabel("Port")).toHaveAccessibleDescription(/between 1 and 65535/);
  await audit(page, "deployments-form-errors");

  await page.getByLabel("Name").fill("web");
  await page.getByLabel("Image").fill("127.0.0.1:5000/examples/hello:latest");
  await page.getByLabel("Isolation").selectOption("microvm");
  await page.getByLabel("Port").fill("8080");
  await page.getByLabel("Replicas").fill("2");
  await page.getByRole("button", { name: "Create deployment" }).click();
  const row = page.getByRole("row", { name: /web/ });
  await expect(row).toContainText("microvm");
  await expect(row).toContainText("2 pending");
  await audit(page, "deployments");
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${shots}deployments-dark.png` });
  await page.emulateMedia({ colorScheme: "light" });
  await fitsPhone(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${shots}deployments-phone.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
});

test("members", async () => {
  await page.goto(`/t/${tenantId}/members`);
  await page.getByLabel("Email address").fill("grace@example.test");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("textbox", { name: "Invite link" })).toBeVisible();
  await audit(page, "members");
  await fitsPhone(page);
});

test("tokens", async () => {
  await page.goto(`/t/${tenantId}/tokens`);
  await page.getByLabel("Token name").fill("CI deploys");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByRole("textbox", { name: "New API token" })).toBeVisible();
  await audit(page, "tokens");
  await fitsPhone(page);
});

test("API docs", async () => {
  await page.goto("/docs/api");
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
  await op.goto("/operator/hosts");
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
  await page.goto("/operator/hosts");
  await expect(page.getByText("Platform operators only")).toBeVisible();
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Hosts" }),
  ).toHaveCount(0);
});
