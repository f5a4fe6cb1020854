import { expect, test } from "@playwright/test";
import { goto } from "../support/app";
import { createTenant, newUser, signUp } from "../support/users";

test("sign up, create a tenant, create an API token, see it listed, revoke it", async ({ page, request }) => {
  const user = newUser("Token Owner");
  await signUp(page, user);
  await expect(page).toHaveURL(/\/tenants\/new$/);
  await expect(page.getByRole("heading", { name: "Create your first tenant" })).toBeVisible();
  await createTenant(page, "Token Test Co");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tokens" }).click();
  await expect(page.getByRole("heading", { name: "API tokens", level: 1 })).toBeVisible();
  await expect(page.getByText("No API tokens yet")).toBeVisible();

  // Invalid input is explained beside the field, before anything is sent.
  const name = page.getByLabel("Token name");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(name).toHaveAccessibleDescription(/must not be empty/i);

  await name.fill("CI deploys");
  await page.getByRole("checkbox", { name: "Write" }).uncheck();
  await page.getByLabel("Expires").selectOption({ label: "30 days" });
  await page.getByRole("button", { name: "Create token" }).click();

  // The secret is shown once, with the warning, in a copyable box.
  await expect(page.getByRole("alert").filter({ hasText: "Copy this token now" })).toBeVisible();
  const box = page.getByRole("textbox", { name: "New API token" });
  await expect(box).toHaveValue(/^berth_[A-Za-z0-9_-]{40,}$/);
  const secret = await box.inputValue();
  await expect(page.getByRole("button", { name: "Copy new api token" })).toBeVisible();

  // Listed by prefix with its scope, expiry and status; never the secret itself.
  const row = page.getByRole("row", { name: /CI deploys/ });
  await expect(row).toContainText(`${secret.slice(0, 12)}…`);
  await expect(row.getByRole("cell").nth(1)).toHaveText("read");
  await expect(row).toContainText("in 30 days");
  await expect(row).toContainText("Never");
  await expect(row.getByText("active", { exact: true })).toBeVisible();

  // The token works against the REST API.
  const auth = { authorization: `Bearer ${secret}` };
  const me = await request.get("/api/v1/me", { headers: auth });
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ kind: "token", role: "viewer" });

  // Gone after a reload: only the prefix remains anywhere on the page. Last use is now recorded.
  await page.reload();
  await expect(page.getByRole("textbox", { name: "New API token" })).toHaveCount(0);
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(secret);
  await expect(row).not.toContainText("Never");

  // Revoke, after confirming.
  await row.getByRole("button", { name: "Revoke CI deploys" }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke “CI deploys”?" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await expect(dialog).toBeHidden();
  await expect(row.getByText("revoked", { exact: true })).toBeVisible();
  await expect(row.getByRole("button", { name: /revoke/i })).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "Token CI deploys revoked" })).toBeVisible();

  // Revoked for real: the API refuses it, and the status survives a reload.
  const after = await request.get("/api/v1/me", { headers: auth });
  expect(after.status()).toBe(401);
  await page.reload();
  await expect(row.getByText("revoked", { exact: true })).toBeVisible();
});

test("signed-out visitors are sent to sign in and brought back", async ({ page }) => {
  await goto(page, "/t/00000000-0000-4000-8000-000000000000/tokens");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Ft%2F/);
  await expect(page.getByRole("heading", { name: "Sign in to Berth" })).toBeVisible();
  await page.getByLabel("Email").fill("nobody@example.test");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText(
    "The email or password is not right.",
  );
});
