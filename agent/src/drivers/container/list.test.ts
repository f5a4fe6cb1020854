// list() while runc's own list is wrong for a moment: `runc list` fails when a container is deleted
// while it reads its root (a stop at the same time), and a container created after its snapshot is
// missing from it. Neither may turn running containers into "gone" in a heartbeat: the control
// plane would replace them. A wrapper in front of the real runc makes each case happen on demand.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLog } from "../../log";
import { ContainerDriver } from "./driver";
import { busyboxLayer, instanceSpec, LayerImages, NetnsNetwork, requireHostTools, tempDir } from "./testkit";

let data = "";
let mode = "";
let driver: ContainerDriver;
const network = new NetnsNetwork();
const ids = [randomUUID(), randomUUID()];

/** What `runc list` does next: "fail" (as during a delete), "empty" (an old snapshot), or "" (real). */
const listMode = async (m: "fail" | "empty" | "") => writeFile(mode, m);

beforeAll(async () => {
  requireHostTools();
  data = await tempDir("berth-ct-list-");
  await chmod(data, 0o711);
  mode = join(data, "list-mode");
  await listMode("");
  const wrapper = join(data, "runc");
  await writeFile(
    wrapper,
    `#!/bin/sh
m=$(cat ${mode})
for a in "$@"; do
  if [ "$a" = list ] && [ "$m" = fail ]; then
    echo 'level=error msg="stat ${data}/x: no such file or directory"' >&2; exit 1
  fi
  if [ "$a" = list ] && [ "$m" = empty ]; then echo null; exit 0; fi
done
exec /usr/sbin/runc "$@"
`,
    { mode: 0o755 },
  );
  driver = new ContainerDriver({
    dataDir: join(data, "agent"),
    images: new LayerImages([await busyboxLayer(join(data, "layer0"))]),
    network,
    log: createLog({ level: "warn" }),
    runcPath: wrapper,
  });
  const tenantId = randomUUID();
  for (const instanceId of ids) {
    const s = await driver.start(instanceSpec({ instanceId, tenantId, command: ["sleep", "1000"] }));
    expect(s.state).toBe("running");
  }
}, 60_000);

afterAll(async () => {
  await listMode("").catch(() => {});
  for (const id of ids) await driver?.stop(id, 0).catch(() => {});
  if (data) await rm(data, { recursive: true, force: true });
});

describe("the container driver's list()", () => {
  it("reports running containers as running when runc list fails", async () => {
    await listMode("fail");
    const states = (await driver.list()).map((s) => s.state);
    await listMode("");
    expect(states).toEqual(["running", "running"]);
  });

  it("asks runc again about a container its list did not show (created since)", async () => {
    await listMode("empty");
    const states = (await driver.list()).map((s) => s.state);
    await listMode("");
    expect(states).toEqual(["running", "running"]);
  });

  it("still reports a container that is really gone", async () => {
    const [gone = ""] = ids;
    const runc = ["--root", join(data, "agent/runc")];
    execFileSync("/usr/sbin/runc", [...runc, "kill", gone, "KILL"]);
    // The shim writes the exit code (137): exited, not running.
    let state = "";
    for (let i = 0; i < 100 && state !== "exited"; i++) {
      state = (await driver.list()).find((s) => s.instanceId === gone)?.state ?? "";
      if (state !== "exited") await new Promise((r) => setTimeout(r, 50));
    }
    expect(state).toBe("exited");
  });
});
