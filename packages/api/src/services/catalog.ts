// What the deploy form suggests: the images of the platform's registry and of every registry the
// tenant stored credentials for, read from each registry's catalogue (GET /v2/_catalog, then
// /v2/<repository>/tags/list) with each image's kind from its manifest, so the form offers only
// what boots at the chosen level. Registries that keep their catalogue private or switched off
// (Docker Hub, most hosted ones) answer 401 or 404: that registry's entry then says why, and the
// rest still answer. Answers are cached briefly: the form asks on every open.
import type { RegistryCatalog } from "@berth/contracts";
import type { ScopedDb } from "../scope";
import { lookupImageKind, type RegistryCredentials, registryBase, registryGet } from "./image-kind";
import { openedCredentials } from "./registries";

const limits = { repositories: 50, tagsPerRepository: 10, images: 100, concurrency: 8 };
const ttlMs = 30_000;
const cache = new Map<string, { at: number; value: RegistryCatalog }>();

async function getJson<T>(
  url: string,
  scope: string,
  credentials: RegistryCredentials | undefined,
  signal: AbortSignal,
) {
  const res = await registryGet(url, { scope, signal, ...(credentials ? { credentials } : {}) });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(
      res.status === 401 || res.status === 403
        ? `its catalogue is not open to ${credentials ? `user ${credentials.username}` : "anonymous clients"} (HTTP ${res.status})`
        : res.status === 404
          ? "it offers no catalogue (HTTP 404)"
          : `it answered HTTP ${res.status}`,
    );
  }
  return (await res.json()) as T;
}

/** Runs `fn` over `items`, at most `n` at a time, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** One registry's images (at most 100: 50 repositories, their 10 newest-named tags each). */
export async function readCatalog(
  registry: string,
  o: { credentials?: RegistryCredentials; timeoutMs?: number } = {},
): Promise<RegistryCatalog> {
  const key = `${registry}\n${o.credentials?.username ?? ""}\n${o.credentials?.password ?? ""}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < ttlMs) return hit.value;
  const signal = AbortSignal.timeout(o.timeoutMs ?? 4000);
  const base = registryBase(registry);
  let value: RegistryCatalog;
  try {
    const { repositories = [] } = await getJson<{ repositories?: string[] }>(
      `${base}/_catalog?n=${limits.repositories}`,
      "registry:catalog:*",
      o.credentials,
      signal,
    );
    const tagLists = await mapLimit(repositories.slice(0, limits.repositories), limits.concurrency, (repo) =>
      getJson<{ tags?: string[] | null }>(
        `${base}/${repo}/tags/list`,
        `repository:${repo}:pull`,
        o.credentials,
        signal,
      )
        .then((r) => (r.tags ?? []).sort().reverse().slice(0, limits.tagsPerRepository))
        .catch(() => [] as string[]),
    );
    const names = repositories
      .flatMap((repo, i) => (tagLists[i] ?? []).map((tag) => `${registry}/${repo}:${tag}`))
      .slice(0, limits.images);
    const images = await mapLimit(names, limits.concurrency, async (image) => {
      const answer = await lookupImageKind(image, {
        timeoutMs: 2000,
        ...(o.credentials ? { credentials: o.credentials } : {}),
      });
      return { image, kind: "kind" in answer ? answer.kind : null };
    });
    value = { registry, images, error: null };
  } catch (e) {
    const err = e as Error;
    const why = err.name === "TimeoutError" ? "it did not answer within 4 s" : err.message;
    value = { registry, images: [], error: `${registry}: ${why}` };
  }
  cache.set(key, { at: Date.now(), value });
  return value;
}

/** The catalogues of the platform's registry and of each registry the tenant has credentials for. */
export async function tenantCatalog(opts: {
  scope: ScopedDb;
  key: Buffer;
  tenantId: string;
  platformRegistry: string;
}): Promise<RegistryCatalog[]> {
  const credentials = await openedCredentials(opts.scope, opts.key, opts.tenantId);
  const registries = [opts.platformRegistry, ...credentials.keys()].filter(
    (r, i, all) => all.indexOf(r) === i,
  );
  return Promise.all(
    registries.map((r) => {
      const c = credentials.get(r);
      return readCatalog(r, c ? { credentials: c } : {});
    }),
  );
}
