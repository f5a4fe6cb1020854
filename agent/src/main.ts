import pkg from "../package.json" with { type: "json" };
import { parseJoinArgs, parseRunArgs } from "./args";
import { joinCommand } from "./commands/join";
import { runCommand } from "./commands/run";
import { type AgentEnv, readEnv } from "./env";
import { exitCodes, UsageError } from "./errors";
import { createLog } from "./log";

const usage = `Usage:
  berth-agent join --server URL --token JOIN_TOKEN [--name NAME] [--address ADDR] [--label k=v ...]
                   [--state FILE] [--sim]
  berth-agent run [--state FILE] [--sim] [--sim-delay-ms N] [--wait-for-join]

join exchanges an operator's one-time join token for this host's identity and saves it in the
state file (default /var/lib/berth/agent.json, or $BERTH_AGENT_STATE), readable only by root.
run heartbeats to the control plane and runs the instances placed on this host until SIGTERM;
SIGUSR2 makes it sweep unused images and micro-VM root disks now (docs/images.md, "Disk sweep").
--sim (scale tests only) launches nothing: instances "run" after --sim-delay-ms (default 50).

Exit codes: 0 ok, 1 failure (network, control plane, Redis), 2 bad usage.`;

/** Runs `berth-agent` and returns its exit code; errors become one line on stderr. */
export async function run(argv: string[], loadEnv: () => AgentEnv = () => readEnv()): Promise<number> {
  const [command, ...rest] = argv.slice(2);
  try {
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      process.stdout.write(`${usage}\n`);
      return command === undefined ? exitCodes.usage : exitCodes.ok;
    }
    if (command === "--version" || command === "-V") {
      process.stdout.write(`${pkg.version}\n`);
      return exitCodes.ok;
    }
    const env = loadEnv();
    const log = createLog({ level: env.logLevel });
    if (command === "join") {
      await joinCommand(parseJoinArgs(rest, { stateFile: env.stateFile }), env, log);
      return exitCodes.ok;
    }
    if (command === "run")
      return await runCommand(parseRunArgs(rest, { stateFile: env.stateFile }), env, log);
    throw new UsageError(`unknown command "${command}" (expected join or run; see berth-agent --help)`);
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ").trim();
    process.stderr.write(`berth-agent: error: ${message}\n`);
    return err instanceof UsageError ? exitCodes.usage : exitCodes.error;
  }
}
