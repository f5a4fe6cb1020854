import { Command, CommanderError } from "commander";
import pkg from "../package.json" with { type: "json" };
import { registerAuth } from "./commands/auth";
import { registerDeploy } from "./commands/deploy";
import { registerDeployments } from "./commands/deployments";
import { registerLogs } from "./commands/logs";
import { registerRegistries } from "./commands/registries";
import { registerTenants } from "./commands/tenants";
import { registerTokens } from "./commands/tokens";
import { type Env, readEnv } from "./env";
import { CliError, exitCodes } from "./errors";

const epilog = `
Credentials come from \`berth login\` (stored in $BERTH_CONFIG, else $XDG_CONFIG_HOME/berth/config.json,
else ~/.config/berth/config.json); BERTH_URL and BERTH_TOKEN override them.

Exit codes: 0 ok, 1 error (API, network), 2 bad usage, 3 no host can run the deployment yet (deploy --wait).`;

export function buildProgram(env: Env): Command {
  const program = new Command("berth")
    .description("Command-line client of the Berth hosting control plane (REST API /api/v1)")
    .version(pkg.version, "-V, --version")
    .exitOverride()
    .addHelpText("after", epilog);
  registerAuth(program, env);
  registerTenants(program, env);
  registerTokens(program, env);
  registerDeployments(program, env);
  registerDeploy(program, env);
  registerLogs(program, env);
  registerRegistries(program, env);
  return program;
}

/** Runs the CLI and returns the exit code; errors become one line on stderr. */
export async function run(argv: string[], env: Env = readEnv()): Promise<number> {
  const program = buildProgram(env);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help / version).
      return err.exitCode === 0 ? 0 : exitCodes.usage;
    }
    const message = err instanceof Error ? err.message : String(err);
    // One line, whatever the server or the runtime put in the message.
    process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, " ").trim()}\n`);
    return err instanceof CliError ? err.exitCode : exitCodes.error;
  }
}
