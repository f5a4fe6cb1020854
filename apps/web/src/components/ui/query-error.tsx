"use client";
import { errorMessage } from "@/lib/errors";
import { Alert } from "./alert";
import { Button } from "./button";

/** What a failed load looks like: the reason and a way to try again. */
export function QueryError({ error, onRetry, what }: { error: unknown; onRetry?: () => void; what: string }) {
  return (
    <div className="p-5">
      <Alert
        tone="danger"
        title={`Could not load ${what}`}
        action={
          onRetry ? (
            <Button variant="secondary" size="sm" onClick={onRetry}>
              Retry
            </Button>
          ) : null
        }
      >
        {errorMessage(error)}
      </Alert>
    </div>
  );
}
