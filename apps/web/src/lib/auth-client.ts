"use client";
import { createAuthClient } from "better-auth/react";

// Same origin as the dashboard: better-auth is served at /api/auth.
export const authClient = createAuthClient();
