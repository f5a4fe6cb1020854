import { randomBytes } from "node:crypto";
import { expect, type Page } from "@playwright/test";
import { appReady, goto } from "./app";

export type TestUser = { name: string; email: string; password: string };

/** A user no earlier run has seen: every spec signs up its own people. */
export function newUser(name: string): TestUser {
  const tag = randomBytes(4).toString("hex");
  return {
    name,
    email: `${name.toLowerCase().replace(/\W+/g, ".")}.${tag}@example.test`,
    password: `pw-${tag}-correct-horse`,
  };
}

/** Fills the sign-up form on the current page (or opens /sign-up) and waits to leave it. */
export async function signUp(page: Page, user: TestUser, { open = true } = {}) {
  if (open) await goto(page, "/sign-up");
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  await page.getByLabel("Name").fill(user.name);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).not.toHaveURL(/\/sign-up/);
  // the form sends the browser on with a full page load
  await appReady(page);
}

/** Creates a tenant from /tenants/new and returns its id, read from the page it lands on. */
export async function createTenant(page: Page, name: string): Promise<string> {
  if (!page.url().endsWith("/tenants/new")) await goto(page, "/tenants/new");
  else await appReady(page);
  await page.getByLabel("Tenant name").fill(name);
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(page).toHaveURL(/\/t\/[0-9a-f-]{36}\/deployments$/);
  await expect(page.getByRole("heading", { name: "Deployments", level: 1 })).toBeVisible();
  const id = /\/t\/([0-9a-f-]{36})\//.exec(page.url())?.[1];
  if (!id) throw new Error(`no tenant id in ${page.url()}`);
  return id;
}
