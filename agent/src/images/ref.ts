// Image references as Docker and skopeo read them: [host[:port]/]path[:tag][@sha256:hex].
import { ImageError } from "./errors";

export type ImageRef = {
  /** Registry host (with port), e.g. "127.0.0.1:5000" or "docker.io". */
  domain: string;
  /** Repository path inside the registry, e.g. "examples/hello" or "library/busybox". */
  path: string;
  tag: string | null;
  digest: string | null;
  /** The fully qualified form, used as the store's key: domain/path:tag or domain/path@digest. */
  canonical: string;
};

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const PATH = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN = /^(?:[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?$/;

export function parseRef(input: string): ImageRef {
  const bad = (why: string) => new ImageError(JSON.stringify(input), `invalid reference: ${why}`);
  let rest = input.trim();
  if (!rest) throw bad("empty");
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad("the digest must be sha256: and 64 hex digits");
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`bad tag "${tag}"`);
  }
  // As Docker does: the first component is a registry only if it looks like a host.
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  let domain = "docker.io";
  let path = rest;
  if (first && (first.includes(".") || first.includes(":") || first === "localhost")) {
    domain = first;
    path = rest.slice(slash + 1);
    if (!DOMAIN.test(domain)) throw bad(`bad registry host "${domain}"`);
  } else if (!rest.includes("/")) {
    path = `library/${rest}`;
  }
  if (!PATH.test(path)) throw bad(`bad repository "${path}" (lowercase letters, digits and . _ - / only)`);
  // skopeo rejects references with both a tag and a digest; the digest is what pins the image.
  if (digest) tag = null;
  else tag ??= "latest";
  const canonical = digest ? `${domain}/${path}@${digest}` : `${domain}/${path}:${tag}`;
  return { domain, path, tag, digest, canonical };
}

/** Registries on this machine's loopback are the project's own local registry: plain HTTP. */
export function isLoopbackRegistry(domain: string): boolean {
  const host = domain.replace(/:[0-9]+$/, "");
  return host === "localhost" || host === "[::1]" || /^127\.[0-9.]+$/.test(host);
}
