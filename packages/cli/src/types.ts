// Response shapes, from the contracts the API itself validates its output with (types only:
// nothing of zod is loaded at runtime, which keeps startup fast).
import type {
  createdTokenDto,
  deploymentDto,
  hostDto,
  instanceDto,
  tenantDto,
  tokenDto,
} from "@berth/contracts";
import type { z } from "zod";

export type Deployment = z.infer<typeof deploymentDto>;
export type Instance = z.infer<typeof instanceDto>;
export type Tenant = z.infer<typeof tenantDto>;
export type Token = z.infer<typeof tokenDto>;
export type CreatedToken = z.infer<typeof createdTokenDto>;
export type Host = z.infer<typeof hostDto>;

/** GET /me has no named schema in the contracts; this mirrors its `.output()`. */
export type Me = {
  kind: "user" | "token";
  userId: string;
  email: string | null;
  name: string | null;
  isOperator: boolean;
  tenantId: string | null;
  role: "owner" | "admin" | "member" | "viewer" | null;
};
