import { describe, expect, it } from "vitest";
import type { ImageConfig } from "../../images/types";
import { buildSeccomp, deniedSyscalls } from "./seccomp";
import { buildSpec, cpuQuotaUs, initPath, mergeEnv, type SpecOptions, workloadArgs } from "./spec";

const image: ImageConfig = {
  env: ["PATH=/bin", "A=image"],
  entrypoint: ["/bin/server"],
  cmd: ["--port", "8080"],
  workingDir: "/srv",
  user: "",
  exposedPorts: ["8080/tcp"],
};

const options: SpecOptions = {
  instanceId: "i-1",
  hostname: "web-1",
  rootfs: "/data/instances/i-1/rootfs",
  hostIdBase: 265_536,
  idCount: 65_536,
  netnsPath: "/run/netns/i-1",
  cgroupsPath: "/berth/i-1",
  memoryMiB: 128,
  cpuMillis: 250,
  pidsLimit: 100,
  limitSwap: true,
  image,
  command: [],
  args: [],
  env: { A: "deployment", B: "b" },
  user: { uid: 0, gid: 0 },
  tiniHostPath: "/usr/bin/tini-static",
};

describe("the container's runtime spec", () => {
  const spec = buildSpec(options);

  it("puts the workload in its own pid, mount, ipc, uts, user and cgroup namespaces and the given network one", () => {
    const types = spec.linux.namespaces.map((n) => n.type).sort();
    expect(types).toEqual(["cgroup", "ipc", "mount", "network", "pid", "user", "uts"]);
    expect(spec.linux.namespaces.filter((n) => n.path)).toEqual([
      { type: "network", path: "/run/netns/i-1" },
    ]);
  });

  it("maps container root to the tenant's unprivileged host range, never to host root", () => {
    for (const m of [...spec.linux.uidMappings, ...spec.linux.gidMappings]) {
      expect(m).toEqual({ containerID: 0, hostID: 265_536, size: 65_536 });
    }
  });

  it("keeps a small capability set without SYS_ADMIN and its like, and sets no_new_privs", () => {
    const caps = spec.process.capabilities;
    for (const set of [caps.bounding, caps.effective, caps.permitted]) {
      for (const bad of [
        "CAP_SYS_ADMIN",
        "CAP_SYS_PTRACE",
        "CAP_SYS_MODULE",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_MKNOD",
        "CAP_SYS_RAWIO",
        "CAP_DAC_READ_SEARCH",
        "CAP_SYS_TIME",
        "CAP_BPF",
      ])
        expect(set).not.toContain(bad);
      expect(set.length).toBeLessThanOrEqual(12);
    }
    expect(caps.inheritable).toEqual([]);
    expect(caps.ambient).toEqual([]);
    expect(spec.process.noNewPrivileges).toBe(true);
  });

  it("denies by default with seccomp and never allows the escape-prone syscalls", () => {
    const seccomp = spec.linux.seccomp;
    expect(seccomp.defaultAction).toBe("SCMP_ACT_ERRNO");
    expect(seccomp.architectures).toEqual(["SCMP_ARCH_X86_64"]); // no 32-bit or x32 syscalls at all
    const allowed = seccomp.syscalls
      .filter((s) => s.action === "SCMP_ACT_ALLOW" && !s.args)
      .flatMap((s) => s.names);
    for (const name of [
      "mount",
      "unshare",
      "setns",
      "keyctl",
      "ptrace",
      "bpf",
      "init_module",
      "open_by_handle_at",
      "clone3",
    ])
      expect(allowed).not.toContain(name);
    for (const name of deniedSyscalls) expect(allowed).not.toContain(name);
    for (const name of ["read", "write", "execve", "socket", "accept4", "epoll_wait", "futex"])
      expect(allowed).toContain(name);
    // clone only without namespace flags.
    const clone = seccomp.syscalls.find((s) => s.names.includes("clone"));
    expect(clone?.args?.[0]).toMatchObject({ index: 0, op: "SCMP_CMP_MASKED_EQ", valueTwo: 0 });
    expect((clone?.args?.[0]?.value ?? 0) & 0x10000000).toBe(0x10000000); // CLONE_NEWUSER
    const personality = seccomp.syscalls.filter((s) => s.names.includes("personality"));
    expect(personality.every((s) => s.args?.[0]?.op === "SCMP_CMP_EQ")).toBe(true);
    expect(personality.map((s) => s.args?.[0]?.value)).not.toContain(0x0400000); // READ_IMPLIES_EXEC
    expect(buildSeccomp()).toEqual(seccomp);
  });

  it("masks and read-onlies /proc like runc's defaults", () => {
    expect(spec.linux.maskedPaths).toEqual(
      expect.arrayContaining(["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"]),
    );
    expect(spec.linux.readonlyPaths).toEqual(
      expect.arrayContaining(["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"]),
    );
  });

  it("limits memory (no extra swap), cpu and pids under its own cgroup path", () => {
    expect(spec.linux.cgroupsPath).toBe("/berth/i-1");
    expect(spec.linux.resources.memory).toEqual({ limit: 128 * 1024 * 1024, swap: 128 * 1024 * 1024 });
    expect(spec.linux.resources.cpu).toEqual({ quota: 25_000, period: 100_000 });
    expect(spec.linux.resources.pids).toEqual({ limit: 100 });
    expect(buildSpec({ ...options, limitSwap: false }).linux.resources.memory.swap).toBe(0);
    expect(cpuQuotaUs(2000)).toBe(200_000);
    expect(cpuQuotaUs(1)).toBe(1000);
  });

  it("runs tini as PID 1 from a read-only bind and does not mount the host's /sys", () => {
    expect(spec.process.args).toEqual([initPath, "--", "/bin/server", "--port", "8080"]);
    const init = spec.mounts.find((m) => m.destination === initPath);
    expect(init).toMatchObject({ type: "bind", source: "/usr/bin/tini-static" });
    expect(init?.options).toContain("ro");
    const sys = spec.mounts.find((m) => m.destination === "/sys");
    expect(sys?.type).toBe("tmpfs");
    expect(spec.mounts.some((m) => m.source === "/sys" || m.source === "/")).toBe(false);
    expect(spec.mounts.find((m) => m.destination === "/proc")?.options).toEqual([
      "nosuid",
      "noexec",
      "nodev",
    ]);
  });

  it("merges the image's config with the deployment's command, args and env", () => {
    expect(spec.process.cwd).toBe("/srv");
    expect(spec.process.env).toEqual(
      expect.arrayContaining(["PATH=/bin", "A=deployment", "B=b", "HOSTNAME=web-1"]),
    );
    expect(spec.hostname).toBe("web-1");
    expect(workloadArgs(image, ["/bin/sh", "-c"], ["echo hi"])).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(workloadArgs(image, ["/bin/other"], [])).toEqual(["/bin/other"]);
    expect(workloadArgs(image, [], ["--port", "9"])).toEqual(["/bin/server", "--port", "9"]);
    expect(mergeEnv([], {}, "h")).toContain(
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    );
    expect(() => buildSpec({ ...options, image: { ...image, entrypoint: [], cmd: [] } })).toThrow(
      /no entrypoint/,
    );
  });
});
