export * from "./audit";
export * from "./common";
export * from "./deployments";
export * from "./hosts";
export * from "./tenants";
export * from "./tokens";
export * from "./queues";
