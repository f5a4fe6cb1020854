-- AlterTable
ALTER TABLE "host" ADD COLUMN     "guestKernel" TEXT;

-- AlterTable
ALTER TABLE "instance" ADD COLUMN     "accelerator" TEXT;

