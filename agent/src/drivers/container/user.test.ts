import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./testkit";
import { resolveUser } from "./user";

let root: string;
beforeAll(async () => {
  root = await tempDir("berth-user-");
  await mkdir(join(root, "etc"));
  await writeFile(join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/app:/bin/sh\n");
  await writeFile(join(root, "etc/group"), "root:x:0:\nstaff:x:50:\n");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the image's USER", () => {
  it("resolves numbers, names and groups against the image's own files", async () => {
    expect(await resolveUser(root, "")).toEqual({ uid: 0, gid: 0 });
    expect(await resolveUser(root, "app")).toEqual({ uid: 1000, gid: 1001 });
    expect(await resolveUser(root, "1000")).toEqual({ uid: 1000, gid: 1001 });
    expect(await resolveUser(root, "4242")).toEqual({ uid: 4242, gid: 0 });
    expect(await resolveUser(root, "app:staff")).toEqual({ uid: 1000, gid: 50 });
    expect(await resolveUser(root, "7:8")).toEqual({ uid: 7, gid: 8 });
    await expect(resolveUser(root, "ghost")).rejects.toThrow(/not in the image's \/etc\/passwd/);
    await expect(resolveUser(root, "app:ghosts")).rejects.toThrow(/not in the image's \/etc\/group/);
    await expect(resolveUser(root, "70000")).rejects.toThrow(/outside the container's id range/);
  });

  it("does not follow a symlinked /etc/passwd out of the image", async () => {
    const other = await tempDir("berth-user-link-");
    await mkdir(join(other, "etc"));
    await symlink("/etc/passwd", join(other, "etc/passwd"));
    await expect(resolveUser(other, "root")).rejects.toThrow(/not in the image's \/etc\/passwd/);
    await rm(other, { recursive: true, force: true });
  });
});
