import { test } from "@playwright/test";
import { deployJourney } from "./journey";

// The same journey with each instance in its own micro-VM (QEMU microvm, the guest kernel and
// berth-init): under TCG a boot takes seconds, so the journey's waits are the same generous ones.
test("deploy the example at level microvm, open it, read its logs, scale to 3 and back to 2, update, roll back, delete", async ({
  page,
  context,
}) => {
  test.setTimeout(900_000);
  await deployJourney({ page, context }, "microvm", { screenshot: "deployment-running-microvm.png" });
});
