// A shipper alone in a process, for the kill -9 test: argv[2] is a JSON object of its options.
import { Redis } from "ioredis";
import { createLogShipper } from "./index";

const o = JSON.parse(process.argv[2] ?? "{}") as {
  url: string;
  username: string;
  password: string;
  hostId: string;
  prefix: string;
  instanceId: string;
  file: string;
};
const redis = new Redis(o.url, { username: o.username, password: o.password });
createLogShipper({ redis, hostId: o.hostId, prefix: o.prefix, pollMs: 5 }).watch(o.instanceId, o.file);
setInterval(() => {}, 1 << 30);
process.stdout.write("ready\n");
