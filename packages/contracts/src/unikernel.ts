// The unikernel artifact format's identifiers (docs/unikernel.md), shared by the control plane
// (which refuses the wrong kind of image for a level) and the agent (which boots the artifact).

/** The config media type that makes an OCI manifest a unikernel artifact. */
export const unikernelConfigMediaType = "application/vnd.berth.unikernel.config.v1+json";
/** The OCI 1.1 artifactType of the same, for tools that look there. */
export const unikernelArtifactType = "application/vnd.berth.unikernel.v1";

/** What a manifest is: a unikernel artifact (by its config media type or artifactType) or an image. */
export function manifestKind(m: {
  artifactType?: unknown;
  config?: { mediaType?: unknown } | null;
}): "unikernel" | "image" {
  return m.config?.mediaType === unikernelConfigMediaType || m.artifactType === unikernelArtifactType
    ? "unikernel"
    : "image";
}

// A unikernel's environment travels on its kernel command line as `env.NAME="value"` tokens,
// which the library OS parses at boot (native/unikernel/include/berth/env.h has the grammar). The
// control plane refuses an env the line cannot carry (packages/core's unsupportedAtLevel); the
// agent writes the tokens (agent/src/drivers/unikernel/qemu.ts). Both use these.

/** The library OS's command-line buffer (platform/main.c), its NUL included: 2047 bytes of text. */
export const ukCmdlineBytes = 2048;
/**
 * What the env's tokens may take of it, each with the space before it. The rest (511 bytes) is
 * kept for what the agent and QEMU add, `netdev.ip=` (at most 45 bytes) and
 * `virtio_mmio.device=` (about 40), and for the artifact's own parameters.
 */
export const ukEnvBudgetBytes = 1536;
/** The most one value may hold in the library OS's table (ENV_MAX_VALUE). */
export const ukEnvMaxValueBytes = 1024;

/** One variable as a command-line token: always quoted, `"` and `\` escaped with `\`. */
export function ukEnvToken(name: string, value: string): string {
  return `env.${name}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const utf8 = new TextEncoder();

/** The bytes the env takes of the command line: its tokens, a space before each. */
export function ukEnvBytes(env: Record<string, string>): number {
  return Object.entries(env).reduce((n, [k, v]) => n + 1 + utf8.encode(ukEnvToken(k, v)).length, 0);
}

const hex = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Why the env cannot reach a unikernel (`env.NAME: …` or `env: …`), or null. A value holds
 * printable ASCII (space to `~`; `"` and `\` are escaped), at most 1024 bytes; all the tokens
 * together at most ukEnvBudgetBytes. Names are the API's env keys already, which the OS accepts.
 */
export function ukEnvProblem(env: Record<string, string>): string | null {
  for (const [name, value] of Object.entries(env)) {
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x20 && c <= 0x7e) continue;
      const what = c < 0x20 || c === 0x7f ? "a control character" : "a non-ASCII character";
      return `env.${name}: has ${what} (${hex(value.codePointAt(i) ?? c)}) at position ${i}; a unikernel's environment travels on its kernel command line, which carries printable ASCII only (space to ~)`;
    }
    if (value.length > ukEnvMaxValueBytes)
      return `env.${name}: is ${value.length} bytes; a unikernel's library OS keeps values of at most ${ukEnvMaxValueBytes} bytes`;
  }
  const bytes = ukEnvBytes(env);
  if (bytes > ukEnvBudgetBytes)
    return `env: takes ${bytes} bytes of the unikernel's kernel command line as env.NAME="value" tokens, over the ${ukEnvBudgetBytes} it may: the line is ${ukCmdlineBytes} bytes and ${ukCmdlineBytes - ukEnvBudgetBytes} are kept for the network and device parameters (netdev.ip=, virtio_mmio.device=) and the artifact's own`;
  return null;
}
