// Resolves the image's USER ("uid", "uid:gid", "name", "name:group") against the image's own
// /etc/passwd and /etc/group. Those files are read from the host, so symlinks are refused: an image
// must not make the agent read host files.
import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";

async function readEtc(rootfs: string, name: string): Promise<string[][]> {
  const path = join(rootfs, "etc", name);
  try {
    const st = await lstat(path);
    if (!st.isFile()) return [];
    return (await readFile(path, "utf8")).split("\n").map((l) => l.split(":"));
  } catch {
    return [];
  }
}

const numeric = (s: string) => (/^\d+$/.test(s) ? Number(s) : undefined);

export async function resolveUser(rootfs: string, user: string): Promise<{ uid: number; gid: number }> {
  if (!user) return { uid: 0, gid: 0 };
  const [u = "", g] = user.split(":");
  const passwd = await readEtc(rootfs, "passwd");
  let uid = numeric(u);
  let gid: number | undefined;
  const entry = passwd.find((f) => (uid !== undefined ? f[2] === u : f[0] === u));
  if (uid === undefined) {
    if (!entry) throw new Error(`user "${u}" is not in the image's /etc/passwd`);
    uid = Number(entry[2]);
  }
  if (g !== undefined && g !== "") {
    gid = numeric(g);
    if (gid === undefined) {
      const group = (await readEtc(rootfs, "group")).find((f) => f[0] === g);
      if (!group) throw new Error(`group "${g}" is not in the image's /etc/group`);
      gid = Number(group[2]);
    }
  } else {
    gid = entry ? Number(entry[3]) : 0;
  }
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid > 65_535 || gid > 65_535)
    throw new Error(`user "${user}" is outside the container's id range`);
  return { uid, gid };
}
