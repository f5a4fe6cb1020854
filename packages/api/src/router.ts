import { agentRouter } from "./routers/agent";
import { deploymentsRouter, instancesRouter } from "./routers/deployments";
import { membersRouter } from "./routers/members";
import { operatorRouter } from "./routers/operator";
import { registriesRouter } from "./routers/registries";
import { auditRouter, hostsRouter, meRouter } from "./routers/system";
import { tenantsRouter } from "./routers/tenants";
import { tokensRouter } from "./routers/tokens";
import { volumesRouter } from "./routers/volumes";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  me: meRouter,
  tenants: tenantsRouter,
  members: membersRouter,
  tokens: tokensRouter,
  registries: registriesRouter,
  deployments: deploymentsRouter,
  volumes: volumesRouter,
  instances: instancesRouter,
  hosts: hostsRouter,
  audit: auditRouter,
  operator: operatorRouter,
  agent: agentRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
