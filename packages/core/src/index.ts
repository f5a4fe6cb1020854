export * from "./instance-state";
export * from "./placement";
export * from "./policy";
export * from "./roles";
