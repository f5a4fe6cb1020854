// `npm run dev`: the agent under tsx watch, restarted on every change (like `npm start` it waits
// for a join instead of failing).
import { run } from "./main";

process.exitCode = await run([process.argv[0] ?? "node", "berth-agent", "run", "--wait-for-join"]);
