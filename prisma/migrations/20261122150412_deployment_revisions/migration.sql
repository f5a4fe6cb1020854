-- CreateTable
CREATE TABLE "deployment_revision" (
    "tenantId" UUID NOT NULL,
    "deploymentId" UUID NOT NULL,
    "generation" INTEGER NOT NULL,
    "spec" JSONB NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployment_revision_pkey" PRIMARY KEY ("deploymentId","generation")
);

-- AddForeignKey
ALTER TABLE "deployment_revision" ADD CONSTRAINT "deployment_revision_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

