"use client";
import { useEffect, useRef } from "react";
import { Alert } from "../ui/alert";
import { Button } from "../ui/button";
import { Card, CardBody, CardFooter, CardHeader } from "../ui/card";
import { CopyField } from "../ui/copy-field";
import type { CreatedToken } from "./create-token-form";

/** The secret, once: it lives only in this component's state and is gone on reload. */
export function NewToken({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <Card className="border-amber-300 dark:border-amber-800">
      <div ref={ref} tabIndex={-1} className="outline-none">
        <CardHeader title={`Token “${token.name}” created`} />
      </div>
      <CardBody className="grid gap-4">
        <Alert tone="warning" title="Copy this token now">
          It is shown only once. Berth stores only a hash of it, so nobody can show it to you again. If you
          lose it, revoke it and create a new one.
        </Alert>
        <CopyField label="New API token" value={token.token} />
        <p className="text-xs text-muted-foreground">
          Use it as <code className="font-mono">Authorization: Bearer &lt;token&gt;</code> with the REST API,
          or in the CLI.
        </p>
      </CardBody>
      <CardFooter>
        <Button variant="secondary" onClick={onDone}>
          I have copied it
        </Button>
      </CardFooter>
    </Card>
  );
}
