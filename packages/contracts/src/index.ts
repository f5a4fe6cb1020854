export * from "./agent";
export * from "./audit";
export * from "./common";
export * from "./deployments";
export * from "./hosts";
export * from "./queues";
export * from "./tenants";
export * from "./tokens";
