"use client";
import { type ReactNode, useId } from "react";
import { cn } from "@/lib/cn";
import { Label } from "./label";

export type ControlProps = {
  id: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
};

type Props = {
  label: ReactNode;
  /** Help text under the control. */
  hint?: ReactNode;
  /** The message shown, and announced, when the value is invalid. */
  error?: string | null;
  className?: string;
  children: (control: ControlProps) => ReactNode;
};

/**
 * A label, a control and its messages, wired for assistive technology: the label names the
 * control, and the hint and error are its description; aria-invalid marks a wrong value.
 */
export function Field({ label, hint, error, className, children }: Props) {
  const id = useId();
  // The error replaces the hint: one message under the control, the one that matters now.
  const hintId = hint && !error ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={cn("grid content-start gap-1.5", className)}>
      <Label htmlFor={id}>{label}</Label>
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
      {error ? <FieldError id={errorId}>{error}</FieldError> : null}
      {hintId ? (
        <p id={hintId} className="text-xs text-muted-foreground">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export function FieldError({ id, children }: { id?: string; children: ReactNode }) {
  return (
    <p id={id} className="text-xs font-medium text-danger dark:text-red-400">
      {children}
    </p>
  );
}
