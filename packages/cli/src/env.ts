// The one place the CLI reads process.env; everything else receives an Env.
export type Env = {
  /** Explicit config file path (BERTH_CONFIG). */
  configFile: string | undefined;
  xdgConfigHome: string | undefined;
  home: string | undefined;
  /** BERTH_URL and BERTH_TOKEN override the config file, e.g. in CI. */
  url: string | undefined;
  token: string | undefined;
  /** Any variable, verbatim: `--secret NAME` takes its value from here rather than from argv. */
  variable: (name: string) => string | undefined;
};

const nonEmpty = (v: string | undefined) => (v && v.trim() !== "" ? v.trim() : undefined);

export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  return {
    configFile: nonEmpty(source.BERTH_CONFIG),
    xdgConfigHome: nonEmpty(source.XDG_CONFIG_HOME),
    home: nonEmpty(source.HOME) ?? nonEmpty(source.USERPROFILE),
    url: nonEmpty(source.BERTH_URL),
    token: nonEmpty(source.BERTH_TOKEN),
    variable: (name) => (Object.hasOwn(source, name) ? source[name] : undefined),
  };
}
