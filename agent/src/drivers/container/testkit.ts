// Real stand-ins for the image store and the network, so the driver's tests need neither: a layer
// directory holding busybox-static, and a plain `ip netns` namespace per instance.
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { InstanceSpec } from "../../driver";
import type { ImageConfig, ImageStore, PulledImage } from "../../images/types";
import type { Attachment, InstanceNetwork } from "../../net/types";
import { defaultIdmapHelper, defaultShim } from "./driver";

const run = promisify(execFile);
const applets = [
  "sh",
  "sleep",
  "echo",
  "ls",
  "cat",
  "id",
  "hostname",
  "unshare",
  "mount",
  "head",
  "tr",
  "seq",
  "wc",
  "touch",
  "grep",
  "true",
];

/** Fails (never skips) with what to install when a host dependency is missing. */
export function requireHostTools(): void {
  const missing = ["/usr/sbin/runc", "/usr/bin/tini-static", "/bin/busybox"].filter((p) => !existsSync(p));
  if (missing.length)
    throw new Error(
      `missing ${missing.join(", ")}: apt-get install -y --no-install-recommends runc tini busybox-static`,
    );
  const root = new URL("../../../../", import.meta.url).pathname;
  for (const dir of ["native/idmap", "native/shim"])
    execFileSync("make", ["-s", "-C", join(root, dir)], { stdio: "inherit" });
  for (const bin of [defaultIdmapHelper, defaultShim])
    if (!existsSync(bin)) throw new Error(`make did not build ${bin}`);
}

/** One layer: busybox-static and its applets, an /etc/passwd, a sticky /tmp; owned by host root. */
export async function busyboxLayer(dir: string): Promise<string> {
  for (const d of ["bin", "etc", "tmp", "root"]) await mkdir(join(dir, d), { recursive: true });
  await copyFile("/bin/busybox", join(dir, "bin/busybox"));
  await chmod(join(dir, "bin/busybox"), 0o755);
  for (const a of applets) await symlink("busybox", join(dir, "bin", a));
  await writeFile(
    join(dir, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n",
  );
  await writeFile(join(dir, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  await chmod(join(dir, "tmp"), 0o1777);
  return dir;
}

// A static C HTTP server: one answer per connection, on the port of its first argument.
const serverSource = `
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 8080) };
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16)) return 1;
  const char *r = "HTTP/1.0 200 OK\\r\\nContent-Length: 6\\r\\n\\r\\nhello\\n";
  for (;;) {
    int c = accept(s, 0, 0);
    char buf[1024];
    if (c < 0) continue;
    (void)!read(c, buf, sizeof buf);
    (void)!write(c, r, strlen(r));
    close(c);
  }
}
`;

// Tries what a container must not do and prints each result ("name=errno", 0 when it worked).
const probeSource = `
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
#define TRY(name, call) printf("%s=%d\\n", name, (call) < 0 ? errno : 0)
int main(void) {
  TRY("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
  TRY("ptrace", ptrace(PTRACE_TRACEME, 0, 0, 0));
  TRY("unshare", unshare(CLONE_NEWUSER));
  TRY("unshare_ns", unshare(CLONE_NEWNS));
  TRY("mount", mount("none", "/tmp", "tmpfs", 0, 0));
  TRY("cgroupfs", mount("cgroup", "/tmp", "cgroup", 0, "memory"));
  /* the cgroup v1 escape: a writable release_agent runs a host command when a cgroup empties */
  TRY("release_agent", open("/sys/fs/cgroup/memory/release_agent", O_WRONLY));
  TRY("release_agent_root", open("/sys/fs/cgroup/release_agent", O_WRONLY));
  TRY("bpf", syscall(SYS_bpf, 0, 0, 0));
  TRY("clone_newpid", syscall(SYS_clone, CLONE_NEWPID | 17, 0, 0, 0, 0));
  TRY("sethostname", sethostname("x", 1));
  TRY("personality_query", syscall(SYS_personality, 0xffffffff));
  TRY("personality_exec", syscall(SYS_personality, 0x0400000 /* READ_IMPLIES_EXEC */));
  return 0;
}
`;

// Dynamically linked against the host's glibc: threads (glibc tries clone3 first, which seccomp
// answers with ENOSYS), fork and exec.
const threadsSource = `
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
static void *run(void *a) { (void)a; puts("thread ok"); return 0; }
int main(void) {
  pthread_t t;
  if (pthread_create(&t, 0, run, 0)) return 1;
  pthread_join(t, 0);
  pid_t p = fork();
  if (p == 0) _exit(5);
  int st;
  waitpid(p, &st, 0);
  printf("child exit=%d\\n", WEXITSTATUS(st));
  fflush(stdout);
  execl("/bin/sh", "sh", "-c", "echo exec ok", (char *)0);
  return 1;
}
`;

/** A second layer holding /srv/server and /srv/probe, built with the machine's gcc. */
export async function serverLayer(dir: string): Promise<string> {
  await mkdir(join(dir, "srv"), { recursive: true });
  for (const [name, source] of [
    ["server", serverSource],
    ["probe", probeSource],
  ] as const) {
    await writeFile(join(dir, `${name}.c`), source);
    await run("gcc", ["-static", "-O2", "-o", join(dir, "srv", name), join(dir, `${name}.c`)]);
    await rm(join(dir, `${name}.c`));
  }
  await writeFile(join(dir, "threads.c"), threadsSource);
  await run("gcc", ["-O2", "-o", join(dir, "srv/threads"), join(dir, "threads.c"), "-lpthread"]);
  await rm(join(dir, "threads.c"));
  const { stdout } = await run("ldd", [join(dir, "srv/threads")]);
  for (const lib of stdout.match(/\/[^\s]+/g) ?? []) {
    await mkdir(join(dir, dirname(lib)), { recursive: true });
    await copyFile(lib, join(dir, lib));
  }
  return dir;
}

export class LayerImages implements ImageStore {
  constructor(
    private readonly layers: string[],
    private readonly config: Partial<ImageConfig> = {},
  ) {}
  async ensure(_ref: string): Promise<PulledImage> {
    const config: ImageConfig = {
      env: [],
      entrypoint: [],
      cmd: ["sh"],
      workingDir: "/",
      user: "",
      exposedPorts: [],
      ...this.config,
    };
    return { digest: "sha256:test", config, layers: this.layers };
  }
  async mountInstance(): Promise<never> {
    throw new Error("the container driver mounts its own idmapped overlay");
  }
  async unmountInstance(): Promise<void> {}
}

/** A bare namespace with loopback up: enough for the driver, no routing. */
export class NetnsNetwork implements InstanceNetwork {
  readonly names = new Set<string>();
  async attach(opts: { instanceId: string }): Promise<Attachment> {
    const name = `berth-ct-${opts.instanceId.slice(0, 8)}`;
    if (!existsSync(`/run/netns/${name}`)) {
      await run("ip", ["netns", "add", name]);
      await run("ip", ["-n", name, "link", "set", "lo", "up"]);
    }
    this.names.add(name);
    return {
      netnsPath: `/run/netns/${name}`,
      ip: "127.0.0.1",
      prefixLen: 8,
      gateway: "127.0.0.1",
      endpoints: [],
    };
  }
  async detach(instanceId: string): Promise<void> {
    const name = `berth-ct-${instanceId.slice(0, 8)}`;
    await run("ip", ["netns", "del", name]).catch(() => {});
    this.names.delete(name);
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function instanceSpec(
  over: Partial<InstanceSpec> & { instanceId: string; tenantId: string },
): InstanceSpec {
  const extra = { volumes: [] };
  const base = {
    generation: 1,
    deploymentId: "00000000-0000-4000-8000-000000000000",
    name: "test",
    image: "test/busybox",
    command: [],
    args: [],
    env: {},
    ports: [],
    cpuMillis: 500,
    memoryMiB: 64,
    isolation: "container" as const,
  };
  return { ...extra, ...base, ...over } as InstanceSpec;
}
