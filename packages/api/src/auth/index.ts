import type { Db } from "@berth/db";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";

export type AuthOptions = { db: Db; secret: string; baseURL: string; trustedOrigins?: string[] };

/**
 * Dashboard accounts and sessions (better-auth). Passwords are hashed with better-auth's default,
 * scrypt, which is memory-hard. Sign-in and sign-up are rate-limited per client address, counted
 * in Postgres so that every web process shares the counts.
 */
export function createAuth({ db, secret, baseURL, trustedOrigins = [] }: AuthOptions) {
  return betterAuth({
    appName: "Berth",
    secret,
    baseURL,
    trustedOrigins: [baseURL, ...trustedOrigins],
    database: prismaAdapter(db, { provider: "postgresql" }),
    emailAndPassword: { enabled: true, minPasswordLength: 10, maxPasswordLength: 128, autoSignIn: true },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    rateLimit: {
      enabled: true,
      storage: "database",
      modelName: "rateLimit",
      window: 60,
      max: 200,
      customRules: {
        "/sign-in/email": { window: 60, max: 10 },
        "/sign-up/email": { window: 60, max: 10 },
      },
    },
    telemetry: { enabled: false },
  });
}

export type Auth = ReturnType<typeof createAuth>;
