// Reads a console.log back line by line; with `follow`, keeps reading what is appended (tail -f)
// until the workload has ended and the file is drained.
import { open } from "node:fs/promises";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function* followLines(
  path: string,
  opts: { follow: boolean; alive: () => Promise<boolean>; pollMs?: number },
): AsyncIterable<string> {
  const fh = await open(path, "r");
  try {
    let pos = 0;
    let partial = "";
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        const lines = (partial + buf.subarray(0, bytesRead).toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) yield line;
        continue;
      }
      if (!opts.follow) break;
      // Checked after an empty read, so lines written just before the exit are not lost.
      if (!(await opts.alive())) {
        const again = await fh.read(buf, 0, 1, pos);
        if (again.bytesRead === 0) break;
        continue;
      }
      await sleep(opts.pollMs ?? 200);
    }
    if (partial) yield partial;
  } finally {
    await fh.close();
  }
}
