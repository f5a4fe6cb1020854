// The agent as a library: the benchmark packs many sim agents into one process with these.
export { Agent, type AgentOptions } from "./agent";
export type { Driver, InstanceSpec, InstanceStatus } from "./driver";
export { LevelRouter, SimDriver, selectDriver, volumeStoreOf } from "./drivers";
export { type EnrollOptions, enroll } from "./enroll";
export { describeHost, type HostInfo, hostLabels } from "./host-info";
export { createLog, type Log, silentLog } from "./log";
export { probeHost } from "./probe";
export { type AgentState, readState, writeState } from "./state";
