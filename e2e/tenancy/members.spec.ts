import { expect, test } from "@playwright/test";
import { goto } from "../support/app";
import { createTenant, newUser, signUp } from "../support/users";

test("an owner invites a member, who signs up, accepts and sees the tenant", async ({ browser }) => {
  const ownerUser = newUser("Olive Owner");
  const inviteeUser = newUser("Ivan Invitee");

  const ownerCtx = await browser.newContext();
  const owner = await ownerCtx.newPage();
  await signUp(owner, ownerUser);
  const tenantId = await createTenant(owner, "Acme Robotics");
  await owner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
  await expect(owner.getByRole("heading", { name: "Members", level: 1 })).toBeVisible();

  await owner.getByLabel("Email address").fill(inviteeUser.email);
  await owner.getByLabel("Role", { exact: true }).selectOption("admin");
  await owner.getByRole("button", { name: "Send invitation" }).click();
  const linkBox = owner.getByRole("textbox", { name: "Invite link" });
  await expect(linkBox).toHaveValue(/\/invite\/[\w-]{20,}$/);
  const link = new URL(await linkBox.inputValue());
  const invitations = owner.getByRole("table", { name: "Open invitations" });
  await expect(invitations.getByRole("row", { name: new RegExp(inviteeUser.email) })).toContainText("admin");

  // The invitee opens the link signed out, creates an account and comes back to accept.
  const inviteeCtx = await browser.newContext();
  const invitee = await inviteeCtx.newPage();
  await goto(invitee, link.pathname);
  await expect(invitee.getByRole("heading", { name: /invited to a tenant/ })).toBeVisible();
  await invitee.getByRole("link", { name: "Create an account" }).click();
  await signUp(invitee, inviteeUser, { open: false });
  await expect(invitee).toHaveURL(link.pathname);
  await invitee.getByRole("button", { name: "Accept invitation" }).click();

  await expect(invitee).toHaveURL(`/t/${tenantId}/deployments`);
  const switcher = invitee.getByRole("combobox", { name: "Tenant" });
  await expect(switcher).toHaveValue(tenantId);
  await expect(switcher.locator("option:checked")).toHaveText("Acme Robotics");
  await invitee.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
  const members = invitee.getByRole("table", { name: "Members" });
  await expect(members.getByRole("row", { name: /Olive Owner/ })).toContainText("owner");
  await expect(members.getByRole("row", { name: /Ivan Invitee/ })).toContainText("you");

  // The owner now sees an admin and no open invitation; the link cannot be used twice.
  await owner.reload();
  await expect(owner.getByRole("combobox", { name: "Role of Ivan Invitee" })).toHaveValue("admin");
  await expect(owner.getByText("No open invitations.")).toBeVisible();
  await goto(invitee, link.pathname);
  await invitee.getByRole("button", { name: "Accept invitation" }).click();
  await expect(invitee.getByRole("main").getByRole("alert")).toContainText(
    /unknown, used, revoked or expired/,
  );

  await ownerCtx.close();
  await inviteeCtx.close();
});

test("an invitation for another address is refused with a reason", async ({ browser }) => {
  const ownerCtx = await browser.newContext();
  const owner = await ownerCtx.newPage();
  await signUp(owner, newUser("Second Owner"));
  await createTenant(owner, "Other Tenant");
  await owner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
  await owner.getByLabel("Email address").fill("someone.else@example.test");
  await owner.getByRole("button", { name: "Send invitation" }).click();
  const link = new URL(await owner.getByRole("textbox", { name: "Invite link" }).inputValue());

  // Signed in as the owner, who is not the addressee.
  await goto(owner, link.pathname);
  await owner.getByRole("button", { name: "Accept invitation" }).click();
  await expect(owner.getByRole("main").getByRole("alert")).toContainText(
    /this invitation is for someone\.else@example\.test/i,
  );
  await ownerCtx.close();
});
