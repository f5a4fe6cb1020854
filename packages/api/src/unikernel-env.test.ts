// A unikernel's env, command and args against the real API and Postgres: what its kernel command
// line can carry (printable ASCII, within the budget) is stored and handed to the agent as is;
// what it cannot is refused with a 400 naming the field, at create, update and rollback, and
// nothing is stored. The same values are fine at the other levels.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRest } from "./rest";
import { reserve } from "./services/capacity";
import { createHarness, type Harness, makeTenant, restRequest, signUp, type TestUser } from "./testing";

const UK = "127.0.0.1:5000/examples/hello-unikernel:latest";
let h: Harness;
let owner: TestUser;
let tenantId: string;
let host: { id: string; token: string };

const rest = (path: string, init: Parameters<typeof restRequest>[1] = {}) =>
  handleRest(h.deps, restRequest(path, { cookie: owner.cookie, ...init })).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as {
      message?: string;
      id?: string;
      env?: Record<string, string>;
      instances?: { id: string }[];
    },
  }));

let n = 0;
const create = (body: Record<string, unknown>) =>
  rest(`/tenants/${tenantId}/deployments`, {
    method: "POST",
    body: { name: `uk${n++}`, image: UK, isolation: "unikernel", replicas: 1, ...body },
  });
const update = (id: string, body: Record<string, unknown>) =>
  rest(`/tenants/${tenantId}/deployments/${id}`, { method: "PATCH", body });
const rollback = (id: string, toGeneration: number) =>
  rest(`/tenants/${tenantId}/deployments/${id}/rollback`, { method: "POST", body: { toGeneration } });
const stored = async () => h.deps.db.deployment.count({ where: { tenantId } });

beforeAll(async () => {
  h = await createHarness();
  owner = await signUp(h, "UkEnvOwner");
  tenantId = (await makeTenant(h, owner, "uk-env")).id;
  await h.deps.db.tenant.update({
    where: { id: tenantId },
    data: { allowedIsolation: ["container", "microvm", "unikernel"] },
  });
  const token = `bhost_${randomBytes(24).toString("base64url")}`;
  const row = await h.deps.db.host.create({
    data: {
      name: `uk-env-${randomBytes(3).toString("hex")}`,
      address: "127.0.0.1",
      isolationLevels: ["container", "microvm", "unikernel"],
      status: "ready",
      cpuMillis: 8000,
      memoryMiB: 8192,
      maxInstances: 20,
      tokenHash: createHash("sha256").update(token).digest("hex"),
    },
  });
  host = { id: row.id, token };
});
afterAll(() => h?.close());

describe("a unikernel's env, command and args", () => {
  it("stores an env the command line carries and hands it to the agent unchanged", async () => {
    const env = { GREETING: "hi there", QUOTED: 'say "hi" \\o/', EMPTY: "" };
    const r = await create({ env });
    expect([r.status, r.body.message]).toEqual([200, undefined]);
    expect(r.body.env).toEqual(env);
    const instanceId = r.body.instances?.[0]?.id ?? "";
    expect(await reserve(h.deps.db, host.id, instanceId, 500, 256)).toBe(true);
    const view = await handleRest(
      h.deps,
      restRequest(`/agent/instances/${instanceId}`, { token: host.token }),
    );
    expect(view.status).toBe(200);
    const spec = (await view.json()) as { env: Record<string, string>; command: string[]; args: string[] };
    expect([spec.env, spec.command, spec.args]).toEqual([env, [], []]);
  });

  it("refuses at create what the command line cannot carry, naming the field, storing nothing", async () => {
    const before = await stored();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ env: { OK: "x", LINE: "a\nb" } }, /^env\.LINE: has a control character \(U\+000A\) at position 1; /],
      [{ env: { CAFE: "café" } }, /^env\.CAFE: has a non-ASCII character \(U\+00E9\) at position 3; /],
      [{ env: { BIG: "v".repeat(1025) } }, /^env\.BIG: is 1025 bytes; .* at most 1024 bytes$/],
      [
        { env: { A: "v".repeat(1000), B: "v".repeat(1000) } },
        /^env: takes 2018 bytes of the unikernel's kernel command line .* over the 1536 it may: the line is 2048 bytes and 512 are kept for the network and device parameters/,
      ],
      [{ command: ["/bin/hello"] }, /^command: a unikernel runs the one program linked into it; /],
      [{ args: ["--port", "80"] }, /^args: a unikernel runs the one program linked into it; /],
    ];
    for (const [body, message] of cases) {
      const r = await create(body);
      expect([r.status, r.body.message]).toEqual([400, expect.stringMatching(message)]);
    }
    expect(await stored()).toBe(before);
    // The same at the container level: its env is a process's environment, not a command line.
    const c = await create({
      image: "busybox",
      isolation: "container",
      env: { LINE: "a\nb", CAFE: "café" },
      command: ["sh"],
    });
    expect(c.status).toBe(200);
  });

  it("refuses the same on update, and takes an env that fits", async () => {
    const d = await create({ env: { GREETING: "one" } });
    const id = d.body.id ?? "";
    for (const [body, message] of [
      [{ env: { GREETING: "two\r\n" } }, /^env\.GREETING: has a control character \(U\+000D\)/],
      [{ command: ["x"] }, /^command: /],
      [{ args: ["x"] }, /^args: /],
    ] as const) {
      const r = await update(id, body);
      expect([r.status, r.body.message]).toEqual([400, expect.stringMatching(message)]);
    }
    const ok = await update(id, { env: { GREETING: "two words" } });
    expect([ok.status, ok.body.message]).toEqual([200, undefined]);
    const row = await h.deps.db.deployment.findUniqueOrThrow({ where: { id } });
    expect([row.generation, row.env]).toEqual([2, { GREETING: "two words" }]);
  });

  it("refuses a rollback to a generation whose env could not reach the unikernel", async () => {
    const d = await create({ env: { GREETING: "first" }, replicas: 0 });
    const id = d.body.id ?? "";
    expect((await update(id, { env: { GREETING: "second" } })).status).toBe(200);
    // A generation recorded before the rule (written as it would have been then).
    const where = { deploymentId_generation: { deploymentId: id, generation: 1 } };
    const rev = await h.deps.db.deploymentRevision.findUniqueOrThrow({ where });
    const spec = { ...(rev.spec as object), env: { GREETING: "tab\there" } };
    await h.deps.db.deploymentRevision.update({ where, data: { spec } });
    const r = await rollback(id, 1);
    expect([r.status, r.body.message]).toEqual([
      400,
      expect.stringMatching(
        /^toGeneration: generation 1 cannot run at level "unikernel": env\.GREETING: has a control character \(U\+0009\)/,
      ),
    ]);
    expect((await h.deps.db.deployment.findUniqueOrThrow({ where: { id } })).generation).toBe(2);
    expect((await update(id, { env: { GREETING: "third" } })).status).toBe(200);
    const back = await rollback(id, 2);
    expect(back.status).toBe(200);
    expect((await h.deps.db.deployment.findUniqueOrThrow({ where: { id } })).env).toEqual({
      GREETING: "second",
    });
  });
});
