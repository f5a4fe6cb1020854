import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { Env } from "./env";
import { CliError } from "./errors";

export type Config = { url: string; token: string; tenantId: string };

/** `$BERTH_CONFIG`, else `$XDG_CONFIG_HOME/berth/config.json`, else `~/.config/berth/config.json`. */
export function configPath(env: Env): { file: string; ownDir: boolean } {
  if (env.configFile) return { file: env.configFile, ownDir: false };
  const base = env.xdgConfigHome ?? join(env.home ?? homedir(), ".config");
  return { file: join(base, "berth", "config.json"), ownDir: true };
}

export async function readConfig(env: Env): Promise<Config | null> {
  const { file } = configPath(env);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: Partial<Config>;
  try {
    parsed = JSON.parse(text) as Partial<Config>;
  } catch {
    throw new CliError(`${file} is not valid JSON; run berth login again`);
  }
  if (
    typeof parsed.url !== "string" ||
    typeof parsed.token !== "string" ||
    typeof parsed.tenantId !== "string"
  ) {
    throw new CliError(`${file} lacks url, token or tenantId; run berth login again`);
  }
  return { url: parsed.url, token: parsed.token, tenantId: parsed.tenantId };
}

/**
 * The token is a secret: the file is written 0600 under a new name and renamed into place, so it
 * is never readable by others, not even briefly. Only our own `berth` directory is forced to
 * 0700; the parent of an explicit $BERTH_CONFIG may be shared (e.g. /tmp) and is left alone.
 */
export async function writeConfig(env: Env, config: Config): Promise<string> {
  const { file, ownDir } = configPath(env);
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (ownDir) await chmod(dir, 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return file;
}

export async function removeConfig(env: Env): Promise<{ file: string; existed: boolean }> {
  const { file } = configPath(env);
  try {
    await rm(file);
    return { file, existed: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { file, existed: false };
    throw new CliError(`cannot remove ${file}: ${(err as Error).message}`);
  }
}

export type Credentials = { url: string; token: string; tenantId: string | null };

/**
 * BERTH_URL / BERTH_TOKEN win over the file. The stored tenant id only belongs to the stored
 * token, so it is dropped as soon as either value comes from the environment.
 */
export async function resolveCredentials(env: Env): Promise<Credentials> {
  const file = env.url && env.token ? null : await readConfig(env);
  const url = env.url ?? file?.url;
  const token = env.token ?? file?.token;
  if (!url || !token) {
    throw new CliError(
      "not logged in: run `berth login --url URL --token TOKEN` or set BERTH_URL and BERTH_TOKEN",
    );
  }
  const fromFile = file !== null && url === file.url && token === file.token;
  return { url, token, tenantId: fromFile ? file.tenantId : null };
}
