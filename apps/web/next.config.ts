import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages ship TypeScript sources.
  transpilePackages: ["@berth/api", "@berth/contracts", "@berth/core", "@berth/db"],
  // Node-only libraries with native or dynamic requires stay outside the server bundle.
  serverExternalPackages: ["@prisma/client", "@prisma/adapter-pg", "pg", "bullmq", "ioredis"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default config;
