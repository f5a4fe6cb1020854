export { type Client, createClient } from "./client";
export { CliError, exitCodes } from "./errors";
export { buildProgram, run } from "./main";
