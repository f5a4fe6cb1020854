import type { Metadata } from "next";
import Link from "next/link";
import { AuthCard } from "@/components/auth/auth-card";
import { AcceptInvite } from "@/components/invite/accept-invite";
import { buttonClasses } from "@/components/ui/button";
import { withNext } from "@/lib/next-path";
import { getViewer } from "@/lib/viewer";

export const metadata: Metadata = { title: "Invitation" };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const viewer = await getViewer();
  const here = `/invite/${encodeURIComponent(token)}`;
  return (
    <AuthCard
      title="You have been invited to a tenant on Berth"
      description="Accept to join it with the role you were given."
    >
      {viewer ? (
        <AcceptInvite token={token} email={viewer.user.email} />
      ) : (
        <div className="grid gap-3">
          <p className="text-sm text-muted-foreground">
            Sign in, or create an account with the email address the invitation was sent to. You will come
            back here to accept it.
          </p>
          <Link href={withNext("/sign-up", here)} className={buttonClasses("primary", "md", "w-full")}>
            Create an account
          </Link>
          <Link href={withNext("/sign-in", here)} className={buttonClasses("secondary", "md", "w-full")}>
            Sign in
          </Link>
        </div>
      )}
    </AuthCard>
  );
}
