import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type BrowserContext, expect, type Page } from "@playwright/test";
import { createTenant, newUser, signUp } from "../support/users";

// The tenant's whole journey against the stack's real agent, at one isolation level: the example
// image runs (under runc, or in a micro-VM), its endpoint answers, its logs arrive live, it scales,
// is updated (a rolling update to a new generation), rolled back, and goes away. Each level's spec
// calls it.
// The example each level runs: the OCI image (container, micro-VM), or the unikernel artifact.
const examples = {
  oci: {
    image: "127.0.0.1:5000/examples/hello:latest",
    body: "Hello from Berth!",
    listening: "hello listening on port 8080",
    served: "GET / 200",
  },
  unikernel: {
    image: "127.0.0.1:5000/examples/hello-unikernel:latest",
    body: "Hello from a Berth unikernel!",
    listening: /unikernel: \S+ listening on/,
    served: null,
  },
};

export async function deployJourney(
  { page, context }: { page: Page; context: BrowserContext },
  level: "container" | "microvm" | "unikernel",
  opts: { screenshot?: string } = {},
) {
  // a boot under TCG on a loaded 2-core machine has taken 20 s and more: the waits are generous
  const boot = level === "microvm" ? 240_000 : 90_000;
  const ex = examples[level === "unikernel" ? "unikernel" : "oci"];
  await signUp(page, newUser("Dana Deployer"));
  await page.waitForLoadState("networkidle");
  const tenantId = await createTenant(page, `Journey ${level}`);

  await page.getByRole("button", { name: "New deployment" }).click();
  await page.getByLabel("Name").fill("hello");
  await page.getByLabel("Image").fill(ex.image);
  await page.getByLabel("Isolation").selectOption(level);
  await page.getByLabel("Port").fill("8080");
  await page.getByRole("button", { name: "Create deployment" }).click();

  await page.getByRole("link", { name: "hello", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${tenantId}/deployments/[0-9a-f-]{36}$`));
  await expect(page.getByRole("heading", { name: "hello", level: 1 })).toBeVisible();
  const instances = page.getByRole("table", { name: "Instances of hello" });
  // the page polls every 5 s; placement, pull and start take a few seconds
  await expect(instances.getByRole("row").nth(1)).toContainText("running", { timeout: boot });

  // its endpoint, opened as a user would, answers from inside the container
  const link = instances.getByRole("link", { name: /Open 127\.0\.0\.1:\d+ \(instance 0\)/ });
  const href = await link.getAttribute("href");
  expect(href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const site = await context.newPage();
  const res = await site.goto(href ?? "");
  expect(res?.status()).toBe(200);
  await expect(site.locator("body")).toContainText(ex.body);
  await site.close();

  // the workload's own output, then the request it just served, arrive in the log panel
  const log = page.getByRole("log", { name: "Logs" });
  await expect(log).toContainText(ex.listening, { timeout: 30_000 });
  // (the unikernel's HTTP server logs no requests)
  if (ex.served) await expect(log).toContainText(ex.served, { timeout: 30_000 });
  // the filter keeps the matching lines; the download holds them all, as text
  await page.getByLabel("Filter log lines").fill("no such line");
  await expect(log).toContainText("No line contains “no such line”");
  await page.getByLabel("Filter log lines").fill("listening");
  await expect(log).toContainText(ex.listening);
  await page.getByLabel("Filter log lines").fill("");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("hello-logs.txt");
  expect(readFileSync((await file.path()) ?? "", "utf8")).toMatch(/#0 .*listening on/);
  // hundreds of lines scroll inside the panel: the page itself stays one screen or so long
  expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThan(2000);
  // a micro-VM's log is its serial console: the guest kernel's lines and berth-init's come first
  if (level === "microvm") {
    await expect(log).toContainText("Linux version");
    await expect(log).toContainText("berth-init: started pid=");
  }

  await page.getByLabel("Replicas").fill("3");
  await page.getByRole("button", { name: "Scale" }).click();
  await expect(instances.getByRole("row")).toHaveCount(4);
  for (const row of [1, 2, 3])
    await expect(instances.getByRole("row").nth(row)).toContainText("running", { timeout: boot });
  await expect(instances.getByRole("link", { name: /Open 127\.0\.0\.1:\d+/ })).toHaveCount(3);

  // back to 2: a rolling update surges one instance beside the old ones, and the stack's one host
  // (2 cores) has no room for a fourth instance of 500 m CPU and the VM's overhead
  await page.getByLabel("Replicas").fill("2");
  await page.getByRole("button", { name: "Scale" }).click();
  await expect(page.getByText("Generation 1: 2 of 2 running")).toBeVisible();
  await expect(page.getByRole("progressbar")).toHaveCount(0, { timeout: 60_000 });

  // a rolling update: an env change is a new generation; its instances replace the old ones one
  // at a time, the progress bar showing until the last old one is retired
  await page.getByRole("button", { name: "Change image or settings" }).click();
  await page.getByLabel("Environment").fill("GREETING=second");
  await page.getByRole("button", { name: "Roll out" }).click();
  await expect(page.getByRole("progressbar", { name: "Generation 2 rollout" })).toBeVisible();
  await rolledOut(page, 2, boot * 2);
  const updated = await openEndpoint(page, context, ex.body);
  // the new generation runs with the new env: the example shows it
  expect(updated.text).toMatch(/greeting(=|: )second/);

  // the history holds both generations; rolling back to the first is generation 3 with its spec
  const history = page.getByRole("table", { name: "Generations of hello" });
  await expect(history.getByRole("row", { name: /update/ })).toContainText("GREETING=second");
  await expect(history.getByRole("row", { name: /created/ })).toContainText("no env");
  await page.getByRole("button", { name: "Roll back to generation 1" }).click();
  await expect(page.getByRole("progressbar", { name: "Generation 3 rollout" })).toBeVisible();
  await rolledOut(page, 3, boot * 2);
  await expect(history.getByRole("row", { name: /rollback to 1/ })).toContainText("no env");
  await expect(page.getByLabel("Environment")).toHaveValue("");
  const rolledBack = await openEndpoint(page, context, ex.body);
  expect(rolledBack.href).not.toBe(updated.href);
  expect(rolledBack.text).not.toMatch(/greeting/);
  // the timeline has the changes and the instances' comings and goings
  const events = page.getByRole("list", { name: "Events" });
  await expect(events).toContainText("Rolled back to generation 1: generation 3 · by a member");
  await expect(events).toContainText("Updated env: generation 2");
  await expect(events).toContainText("Instance 1 (generation 3) started");
  await expect(events).toContainText(/Instance 0 \(generation 1\) (exited|stopped)/);
  if (opts.screenshot) {
    const shot = fileURLToPath(new URL(`../../docs/screenshots/${opts.screenshot}`, import.meta.url));
    await page.screenshot({ path: shot, fullPage: true });
  }

  await page.getByRole("button", { name: "Delete hello" }).click();
  await page.getByRole("button", { name: "Delete deployment" }).click();
  await expect(page).toHaveURL(`/t/${tenantId}/deployments`);
  await expect(page.getByText("No deployments yet")).toBeVisible();
  // and the endpoint is gone with it
  await expect
    .poll(
      async () =>
        await fetch(rolledBack.href, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.status,
          () => 0,
        ),
      {
        timeout: 30_000,
      },
    )
    .toBe(0);
}

/** Waits until every instance is of `generation` and running, the older ones retired. */
async function rolledOut(page: Page, generation: number, timeout: number) {
  const instances = page.getByRole("table", { name: "Instances of hello" });
  // one instance at a time: each surge is a pull or a boot, then a retirement on the next tick
  await expect(page.getByText(`Generation ${generation}: 2 of 2 running`)).toBeVisible({ timeout });
  await expect(page.getByRole("progressbar")).toHaveCount(0, { timeout: 60_000 });
  await expect(instances.getByRole("row")).toHaveCount(3);
  for (const row of [1, 2]) await expect(instances.getByRole("row").nth(row)).toContainText("running");
}

/** Opens instance 0's endpoint in a new tab: the new generation answers. Returns its URL. */
async function openEndpoint(page: Page, context: BrowserContext, body: string) {
  const link = page
    .getByRole("table", { name: "Instances of hello" })
    .getByRole("link", { name: /Open 127\.0\.0\.1:\d+ \(instance 0\)/ });
  const href = (await link.getAttribute("href")) ?? "";
  const site = await context.newPage();
  const res = await site.goto(href);
  expect(res?.status()).toBe(200);
  await expect(site.locator("body")).toContainText(body);
  const text = (await site.locator("body").textContent()) ?? "";
  await site.close();
  return { href, text };
}
