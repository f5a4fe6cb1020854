import { expect, test } from "@playwright/test";
import { goto } from "../support/app";
import { makeOperator } from "../support/db";
import { createTenant, newUser, signUp } from "../support/users";

// The operator's other pages: a tenant's quotas and isolation policy edited with the keyboard
// alone, the change found in the audit log, and the job queues.
test("tenants' policy, the audit log and the queues", async ({ browser }) => {
  const tenantPage = await (await browser.newContext()).newPage();
  const owner = newUser("Quinn Quota");
  await signUp(tenantPage, owner);
  const tenantName = `Quota Co ${Date.now().toString(36)}`;
  await createTenant(tenantPage, tenantName);

  const op = await (await browser.newContext()).newPage();
  const operator = newUser("Odin Operator");
  await signUp(op, operator);
  await makeOperator(operator.email);
  await goto(op, "/operator/tenants");
  await expect(
    op.getByRole("navigation", { name: "Operator" }).getByRole("link", { name: "Tenants" }),
  ).toHaveAttribute("aria-current", "page");
  const row = op.getByRole("row", { name: new RegExp(tenantName) });
  await expect(row).toContainText("1 member(s)");
  await expect(row).toContainText("container (default)");

  // Keyboard only: open the dialog, change the instance quota, allow no level (refused), fix it.
  await row.getByRole("button", { name: `Edit policy of ${tenantName}` }).focus();
  await op.keyboard.press("Enter");
  const dialog = op.getByRole("dialog", { name: `Policy of ${tenantName}` });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("CPU (millicores)")).toBeFocused();
  await op.keyboard.press("Tab");
  await op.keyboard.press("Tab");
  await expect(dialog.getByLabel("Instances", { exact: true })).toBeFocused();
  await op.keyboard.press("ControlOrMeta+a");
  await op.keyboard.type("x");
  await dialog.getByRole("button", { name: "Save policy" }).press("Enter");
  await expect(dialog.getByLabel("Instances", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await dialog.getByLabel("Instances", { exact: true }).fill("12");
  for (const level of ["container", "microvm", "unikernel"])
    await dialog.getByLabel(level, { exact: true }).uncheck();
  await dialog.getByRole("button", { name: "Save policy" }).press("Enter");
  await expect(dialog).toContainText("must allow at least one level");
  await dialog.getByLabel("microvm", { exact: true }).press("Space");
  await dialog.getByLabel("Default level").selectOption("microvm");
  await dialog.getByLabel(/Dedicated hosts/).check();
  await dialog.getByRole("button", { name: "Save policy" }).press("Enter");
  await expect(op.getByRole("status").filter({ hasText: `${tenantName}: policy saved` })).toBeVisible();
  await expect(dialog).toBeHidden();
  // the row's cells, not the row: the closed dialog's form is in the row too
  const policy = row.getByRole("cell").nth(3);
  await expect(policy).toContainText("microvm (default)");
  await expect(policy).not.toContainText("unikernel");
  await expect(policy).toContainText("Dedicated hosts");
  await expect(row.getByRole("cell").nth(1)).toContainText("0 of 12 instances");

  // The change, and who made it, in the audit log filtered to that tenant.
  await op.getByRole("navigation", { name: "Operator" }).getByRole("link", { name: "Audit log" }).click();
  await op.getByLabel("Show").selectOption({ label: `Tenant: ${tenantName}` });
  const log = op.getByRole("table", { name: "Audit log" });
  await expect(log.getByRole("row").nth(1)).toContainText("tenant.policy");
  await expect(log.getByRole("row").nth(1)).toContainText("Odin Operator");
  await expect(log.getByRole("row").nth(2)).toContainText("tenant.create");
  await op.getByLabel("Show").selectOption("platform");
  await expect(log).toContainText("Platform");

  // The queues: placement, and the stack's own host's queue.
  await op.getByRole("navigation", { name: "Operator" }).getByRole("link", { name: "Queues" }).click();
  const queues = op.getByRole("table", { name: "Queues" });
  await expect(queues.getByRole("row", { name: /Placement/ })).toBeVisible();
  await expect(queues.getByRole("row", { name: /e2e-[0-9a-f]{8}/ })).toContainText(/host-[0-9a-f-]{36}/);

  // A tenant's owner is told these pages are not theirs.
  for (const path of ["/operator/tenants", "/operator/audit", "/operator/queues"]) {
    await goto(tenantPage, path);
    await expect(tenantPage.getByText("Platform operators only")).toBeVisible();
    await expect(tenantPage.getByRole("navigation", { name: "Operator" })).toHaveCount(0);
  }
});
