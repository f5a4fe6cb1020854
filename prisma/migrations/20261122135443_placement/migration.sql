-- AlterTable
ALTER TABLE "host" ADD COLUMN     "reservedCpuMillis" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "reservedInstances" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "reservedMemoryMiB" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "tokenHash" TEXT;

-- AlterTable
ALTER TABLE "deployment" ADD COLUMN     "hostSelector" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "instance" ADD COLUMN     "reservedCpuMillis" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "reservedMemoryMiB" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "join_token" (
    "id" UUID NOT NULL,
    "hash" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "hostId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "join_token_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "join_token_hash_key" ON "join_token"("hash");

-- CreateIndex
CREATE UNIQUE INDEX "host_tokenHash_key" ON "host"("tokenHash");

