-- CreateTable
CREATE TABLE "registry_credential" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "registry" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "registry_credential_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "registry_credential_tenantId_registry_key" ON "registry_credential"("tenantId", "registry");

-- AddForeignKey
ALTER TABLE "registry_credential" ADD CONSTRAINT "registry_credential_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

