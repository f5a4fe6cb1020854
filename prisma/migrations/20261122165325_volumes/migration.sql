-- AlterTable
ALTER TABLE "tenant" ADD COLUMN     "quotaVolumeMiB" INTEGER NOT NULL DEFAULT 10240;

-- AlterTable
ALTER TABLE "deployment" ADD COLUMN     "volumes" JSONB NOT NULL DEFAULT '[]';

-- CreateTable
CREATE TABLE "volume" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "sizeMiB" INTEGER NOT NULL,
    "hostId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "volume_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "volume_tenantId_name_key" ON "volume"("tenantId", "name");

-- AddForeignKey
ALTER TABLE "volume" ADD CONSTRAINT "volume_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "volume" ADD CONSTRAINT "volume_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "host"("id") ON DELETE SET NULL ON UPDATE CASCADE;

