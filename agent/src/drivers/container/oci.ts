// The part of the OCI runtime spec (config.json, version 1.0.2) that this driver writes.

export type Mount = { destination: string; type: string; source: string; options?: string[] };

export type IdMapping = { containerID: number; hostID: number; size: number };

export type Namespace = {
  type: "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup";
  path?: string;
};

export type SeccompArg = {
  index: number;
  value: number;
  valueTwo?: number;
  op: "SCMP_CMP_EQ" | "SCMP_CMP_MASKED_EQ" | "SCMP_CMP_NE";
};

export type LinuxSeccomp = {
  defaultAction: "SCMP_ACT_ERRNO" | "SCMP_ACT_KILL_PROCESS";
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: { names: string[]; action: string; errnoRet?: number; args?: SeccompArg[] }[];
};

export type Capabilities = {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
};

export type Resources = {
  memory: { limit: number; swap: number };
  cpu: { quota: number; period: number; shares?: number };
  pids: { limit: number };
  devices: { allow: boolean; access: string }[];
};

export type RuntimeSpec = {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Capabilities;
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: Mount[];
  linux: {
    uidMappings: IdMapping[];
    gidMappings: IdMapping[];
    namespaces: Namespace[];
    cgroupsPath: string;
    resources: Resources;
    seccomp: LinuxSeccomp;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
};
