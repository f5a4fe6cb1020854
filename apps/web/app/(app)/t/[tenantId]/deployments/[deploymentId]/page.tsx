import type { Metadata } from "next";
import { DeploymentDetail } from "@/components/deployments/deployment-detail";

export const metadata: Metadata = { title: "Deployment" };

export default async function DeploymentPage({ params }: { params: Promise<{ deploymentId: string }> }) {
  return <DeploymentDetail deploymentId={(await params).deploymentId} />;
}
