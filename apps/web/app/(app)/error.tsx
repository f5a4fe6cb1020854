"use client";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

export default function AppError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <div className="mx-auto max-w-xl py-10">
      <h1 className="mb-4 text-xl font-semibold">This page could not be shown</h1>
      <Alert
        tone="danger"
        action={
          <Button variant="secondary" size="sm" onClick={reset}>
            Try again
          </Button>
        }
      >
        Something failed while loading it{error.digest ? ` (reference ${error.digest})` : ""}. If the service
        was briefly unavailable, trying again usually works.
      </Alert>
    </div>
  );
}
