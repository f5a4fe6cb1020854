export * from "./instance-state";
export * from "./policy";
export * from "./roles";
