export type { Auth } from "./auth";
export { createAuth } from "./auth";
export { type Actor, type Context, createContext } from "./context";
export { closeDeps, createDeps, type DepsConfig } from "./create-deps";
export type { Deps } from "./deps";
export { AppError, type AppErrorCode } from "./errors";
export { checkHealth, healthResponse } from "./health";
export { handleRest, openApiDocument, REST_PREFIX } from "./rest";
export { type AppRouter, appRouter, createCaller } from "./router";
