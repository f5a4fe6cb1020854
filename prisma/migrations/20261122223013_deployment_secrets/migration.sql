-- AlterTable
ALTER TABLE "deployment" ADD COLUMN     "secrets" JSONB NOT NULL DEFAULT '{}';

