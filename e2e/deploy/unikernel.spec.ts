import { test } from "@playwright/test";
import { deployJourney } from "./journey";

// The same journey with each instance a unikernel (hello-unikernel: the project's library OS booted
// by QEMU directly, its console as the log): boots take a fraction of a second even under TCG.
test("deploy the example at level unikernel, open it, read its logs, scale to 3 and back to 2, update, roll back, delete", async ({
  page,
  context,
}) => {
  test.setTimeout(360_000);
  await deployJourney({ page, context }, "unikernel", { screenshot: "deployment-running-unikernel.png" });
});
