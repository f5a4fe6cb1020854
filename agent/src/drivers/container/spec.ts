// Builds the OCI runtime spec of one container. Pure: everything it needs comes in its options, so
// the unit tests can assert its security properties without runc.
import type { ImageConfig } from "../../images/types";
import type { Capabilities, Mount, RuntimeSpec } from "./oci";
import { buildSeccomp } from "./seccomp";

/** Where tini is bound inside the container: on /dev's tmpfs, so the image's tree is not touched. */
export const initPath = "/dev/init";

/** Docker's default set, minus NET_RAW, MKNOD and SYS_CHROOT. Never SYS_ADMIN, SYS_PTRACE, NET_ADMIN. */
export const defaultCapabilities = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_SETFCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_AUDIT_WRITE",
] as const;

/** runc's defaults: /proc files that leak host information or let root change the kernel. */
export const maskedPaths = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
];
export const readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

export const cpuPeriodUs = 100_000;
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export type SpecOptions = {
  instanceId: string;
  hostname: string;
  rootfs: string;
  /** First host uid (and gid) of the tenant's range; container id 0 maps to it. */
  hostIdBase: number;
  idCount: number;
  netnsPath: string;
  cgroupsPath: string;
  memoryMiB: number;
  cpuMillis: number;
  pidsLimit: number;
  /** False when the v1 host has no swap accounting (no memory.memsw files). */
  limitSwap: boolean;
  image: ImageConfig;
  command: string[];
  args: string[];
  env: Record<string, string>;
  user: { uid: number; gid: number };
  /** tini-static on the host, bound read-only at `initPath`. */
  tiniHostPath: string;
  /** Host files the driver wrote for this instance, bound read-only at /etc/hosts and /etc/hostname. */
  etcFiles?: { hosts: string; hostname: string };
  /** Host directories (mounted volumes) bound into the container. */
  volumes?: { source: string; destination: string; readOnly: boolean }[];
};

/** Docker's rules: a command replaces the entrypoint and drops the image's cmd; args replace cmd. */
export function workloadArgs(image: ImageConfig, command: string[], args: string[]): string[] {
  const entrypoint = command.length ? command : image.entrypoint;
  const cmd = args.length ? args : command.length ? [] : image.cmd;
  return [...entrypoint, ...cmd];
}

/** The image's env, then the deployment's on top; PATH always set. */
export function mergeEnv(imageEnv: string[], env: Record<string, string>, hostname: string): string[] {
  const merged = new Map<string, string>([["PATH", defaultPath]]);
  for (const entry of imageEnv) {
    const i = entry.indexOf("=");
    if (i > 0) merged.set(entry.slice(0, i), entry.slice(i + 1));
  }
  merged.set("HOSTNAME", hostname);
  for (const [k, v] of Object.entries(env)) merged.set(k, v);
  return [...merged].map(([k, v]) => `${k}=${v}`);
}

export function cpuQuotaUs(cpuMillis: number): number {
  return Math.max(1000, Math.round((cpuMillis / 1000) * cpuPeriodUs));
}

function capabilities(): Capabilities {
  const set = [...defaultCapabilities];
  return { bounding: set, effective: set, permitted: set, inheritable: [], ambient: [] };
}

function mounts(o: SpecOptions): Mount[] {
  const noexec = ["nosuid", "noexec", "nodev"];
  return [
    { destination: "/proc", type: "proc", source: "proc", options: noexec },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: [...noexec, "mode=1777", "size=65536k"],
    },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: noexec },
    // The network namespace belongs to the host's user namespace, so sysfs cannot be mounted; an
    // empty read-only tmpfs rather than a bind of the host's /sys, which would show host details.
    { destination: "/sys", type: "tmpfs", source: "sysfs", options: [...noexec, "ro", "size=4k"] },
    {
      destination: initPath,
      type: "bind",
      source: o.tiniHostPath,
      options: ["bind", "ro", "nosuid", "nodev"],
    },
    ...(o.etcFiles
      ? [
          {
            destination: "/etc/hosts",
            type: "bind",
            source: o.etcFiles.hosts,
            options: ["bind", "ro", ...noexec],
          },
          {
            destination: "/etc/hostname",
            type: "bind",
            source: o.etcFiles.hostname,
            options: ["bind", "ro", ...noexec],
          },
        ]
      : []),
    ...(o.volumes ?? []).map((v) => ({
      destination: v.destination,
      type: "bind",
      source: v.source,
      options: ["rbind", v.readOnly ? "ro" : "rw", "nosuid", "nodev"],
    })),
  ];
}

export function buildSpec(o: SpecOptions): RuntimeSpec {
  const workload = workloadArgs(o.image, o.command, o.args);
  if (workload.length === 0)
    throw new Error("the image has no entrypoint or cmd and the deployment no command");
  const memory = Math.round(o.memoryMiB * 1024 * 1024);
  const idMap = [{ containerID: 0, hostID: o.hostIdBase, size: o.idCount }];
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: o.user,
      // tini as PID 1: it reaps orphans, forwards signals and exits with the workload's code.
      args: [initPath, "--", ...workload],
      env: mergeEnv(o.image.env, o.env, o.hostname),
      cwd: o.image.workingDir || "/",
      capabilities: capabilities(),
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 4096, soft: 4096 }],
      noNewPrivileges: true,
    },
    // Writable: the rootfs is an overlay whose lower layers are read-only mounts.
    root: { path: o.rootfs, readonly: false },
    hostname: o.hostname,
    mounts: mounts(o),
    linux: {
      uidMappings: idMap,
      gidMappings: idMap.map((m) => ({ ...m })),
      namespaces: [
        { type: "pid" },
        { type: "ipc" },
        { type: "uts" },
        { type: "mount" },
        { type: "user" },
        { type: "cgroup" },
        { type: "network", path: o.netnsPath },
      ],
      cgroupsPath: o.cgroupsPath,
      resources: {
        memory: { limit: memory, swap: o.limitSwap ? memory : 0 },
        cpu: { quota: cpuQuotaUs(o.cpuMillis), period: cpuPeriodUs },
        pids: { limit: o.pidsLimit },
        devices: [{ allow: false, access: "rwm" }],
      },
      seccomp: buildSeccomp(),
      maskedPaths,
      readonlyPaths,
    },
  };
}
