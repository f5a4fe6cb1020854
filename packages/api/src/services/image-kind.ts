// Which kind of image a deployment names: an OCI container image or a unikernel artifact
// (docs/unikernel.md), read from its manifest in its registry (Docker Registry HTTP API v2, with
// the tenant's stored credentials and the registries' bearer-token dance). A definite answer of the
// wrong kind for the level is refused at create; no answer (registry unreachable, slow, private
// without credentials, image missing) lets the deploy through: the agent fails it with a clear
// reason (its store refuses the wrong kind, a missing image fails the pull), and an outage of one
// registry never blocks ordinary deploys.
import { type IsolationLevel, manifestKind, registryOf } from "@berth/contracts";

export type ImageKindAnswer = { kind: "unikernel" | "image" } | { unknown: string };

const accept = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(",");

const loopback = (host: string) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(host);

/** The registry's API base (`http` for loopback registries, as Docker does, else `https`). */
export function registryBase(registry: string): string {
  const host = registry === "docker.io" ? "registry-1.docker.io" : registry;
  return `${loopback(host) ? "http" : "https"}://${host}/v2`;
}

/** Registry base URL, repository and reference (tag or digest) of an image name, Docker's rules. */
export function manifestUrlOf(image: string): { url: string; repository: string } {
  const registry = registryOf(image);
  let rest = image.startsWith(`${registry}/`) ? image.slice(registry.length + 1) : image;
  let reference = "latest";
  const at = rest.indexOf("@");
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const repository = registry === "docker.io" && !rest.includes("/") ? `library/${rest}` : rest;
  return { url: `${registryBase(registry)}/${repository}/manifests/${reference}`, repository };
}

export type RegistryCredentials = { username: string; password: string };

/** A bearer token for `scope`, from the realm the registry's 401 named. */
async function bearerToken(challenge: string, scope: string, basic: string | undefined, signal: AbortSignal) {
  const param = (name: string) => challenge.match(new RegExp(`${name}="([^"]*)"`))?.[1];
  const realm = param("realm");
  if (!realm) return undefined;
  const u = new URL(realm);
  const service = param("service");
  if (service) u.searchParams.set("service", service);
  u.searchParams.set("scope", param("scope") ?? scope);
  const res = await fetch(u, { headers: basic ? { authorization: `Basic ${basic}` } : {}, signal });
  if (res.status !== 200) return undefined;
  const body = (await res.json()) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}

/**
 * GET from a registry's API with the tenant's credentials, through the registries' 401 dance:
 * a bearer token from the challenge's realm for `scope` (e.g. `repository:x:pull`), or Basic.
 */
export async function registryGet(
  url: string,
  o: { scope: string; credentials?: RegistryCredentials; accept?: string; signal: AbortSignal },
): Promise<Response> {
  const basic = o.credentials
    ? Buffer.from(`${o.credentials.username}:${o.credentials.password}`).toString("base64")
    : undefined;
  const headers: Record<string, string> = o.accept ? { accept: o.accept } : {};
  const res = await fetch(url, { headers, signal: o.signal });
  const challenge = res.headers.get("www-authenticate") ?? "";
  if (res.status === 401 && /^bearer/i.test(challenge)) {
    const token = await bearerToken(challenge, o.scope, basic, o.signal);
    if (token)
      return fetch(url, { headers: { ...headers, authorization: `Bearer ${token}` }, signal: o.signal });
  } else if (res.status === 401 && basic) {
    return fetch(url, { headers: { ...headers, authorization: `Basic ${basic}` }, signal: o.signal });
  }
  return res;
}

export async function lookupImageKind(
  image: string,
  o: { credentials?: RegistryCredentials; timeoutMs?: number } = {},
): Promise<ImageKindAnswer> {
  const signal = AbortSignal.timeout(o.timeoutMs ?? 3000);
  try {
    const { url, repository } = manifestUrlOf(image);
    const res = await registryGet(url, {
      scope: `repository:${repository}:pull`,
      accept,
      signal,
      ...(o.credentials ? { credentials: o.credentials } : {}),
    });
    if (res.status !== 200) return { unknown: `the registry answered ${res.status}` };
    const m = (await res.json()) as {
      mediaType?: string;
      manifests?: unknown;
      config?: { mediaType?: string };
    };
    // An index is a multi-platform container image: a unikernel artifact is one manifest.
    if (m.manifests || /index|manifest\.list/.test(m.mediaType ?? "")) return { kind: "image" };
    return { kind: manifestKind(m) };
  } catch (e) {
    return { unknown: (e as Error).message };
  }
}

/** The 400's message when the image's kind does not fit the level, else null. */
export function wrongKindFor(level: IsolationLevel, image: string, answer: ImageKindAnswer): string | null {
  if (!("kind" in answer)) return null;
  if (level === "unikernel" && answer.kind === "image")
    return `image: ${image} is an OCI container image, not a unikernel artifact (its manifest's config is not application/vnd.berth.unikernel.config.v1+json): deploy it at the container or microvm level, or package a unikernel as docs/unikernel.md describes`;
  if (level !== "unikernel" && answer.kind === "unikernel")
    return `image: ${image} is a unikernel artifact, not a container image: it boots only at the unikernel isolation level (--isolation unikernel), not at ${level}`;
  return null;
}
