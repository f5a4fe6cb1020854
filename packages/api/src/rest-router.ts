// Kept apart so rest.ts and router.ts do not import each other.
export { appRouter as router } from "./router";
