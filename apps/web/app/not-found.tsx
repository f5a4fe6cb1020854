import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";

export default function NotFound() {
  return (
    <main
      id="main"
      className="mx-auto flex min-h-dvh max-w-md flex-col items-center justify-center px-6 text-center"
    >
      <p className="text-sm font-medium text-muted-foreground">404</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight">Page not found</h1>
      <p className="mt-2 text-sm text-muted-foreground">
        It does not exist, or it belongs to a tenant you are not a member of.
      </p>
      <Link href="/" className={buttonClasses("primary", "md", "mt-6")}>
        Back to the dashboard
      </Link>
    </main>
  );
}
