import type { Metadata } from "next";
import { OperatorPage } from "@/components/operator/operator-page";
import { QueuesView } from "@/components/operator/queues-view";

export const metadata: Metadata = { title: "Queues" };

export default function QueuesPage() {
  return (
    <OperatorPage
      title="Queues"
      description="The BullMQ queues: placement requests for the scheduler, and each host's start and stop jobs. Read a queue's jobs, retry failed ones, remove stuck ones."
    >
      <QueuesView />
    </OperatorPage>
  );
}
