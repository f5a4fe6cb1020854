import { test } from "@playwright/test";
import { deployJourney } from "./journey";

test("deploy the example at level container, open it, read its logs, scale to 3 and back to 2, update, roll back, delete", async ({
  page,
  context,
}) => {
  test.setTimeout(360_000);
  await deployJourney({ page, context }, "container", { screenshot: "deployment-running.png" });
});
