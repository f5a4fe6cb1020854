import type { ReactNode } from "react";
import { OperatorNav } from "@/components/operator/operator-nav";
import { getViewer } from "@/lib/viewer";

export default async function OperatorLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  return (
    <>
      {viewer?.user.isOperator ? <OperatorNav /> : null}
      {children}
    </>
  );
}
