#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step, and tsx caches the
// transformed files, so startup stays fast.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../src/main.ts");
process.exitCode = await run(process.argv);
