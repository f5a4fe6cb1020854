-- AlterTable
ALTER TABLE "instance" ADD COLUMN     "metrics" JSONB,
ADD COLUMN     "metricsAt" TIMESTAMP(3);

