import { CliError } from "./errors";
import { isUuid } from "./parse";
import { type Session, tenantPath } from "./session";
import type { Deployment } from "./types";

/**
 * There is no lookup by name in the API, so names are resolved through the list (which carries
 * the instances too, so no second request is needed). An id is fetched directly.
 */
export async function findDeployment(s: Session, nameOrId: string): Promise<Deployment> {
  if (isUuid(nameOrId)) {
    try {
      return await s.client.request<Deployment>(
        "GET",
        tenantPath(s, `/deployments/${nameOrId.toLowerCase()}`),
      );
    } catch (err) {
      if (!(err instanceof CliError && err.status === 404)) throw err;
    }
  }
  const all = await s.client.request<Deployment[]>("GET", tenantPath(s, "/deployments"));
  const found = all.find((d) => d.name === nameOrId);
  if (!found) throw new CliError(`deployment "${nameOrId}" not found (berth deployments list shows them)`);
  return found;
}
