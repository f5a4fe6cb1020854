-- AlterTable
ALTER TABLE "host" ADD COLUMN     "drainRequestedAt" TIMESTAMP(3);

