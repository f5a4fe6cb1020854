"use client";
import { type ReactNode, useId, useRef, useState } from "react";
import { errorMessage } from "@/lib/errors";
import { Alert } from "./alert";
import { Button, type ButtonSize, type ButtonVariant } from "./button";

type Props = {
  /** The trigger's text; `triggerLabel` gives it a fuller accessible name when it is terse. */
  trigger: ReactNode;
  triggerLabel?: string;
  triggerVariant?: ButtonVariant;
  triggerSize?: ButtonSize;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<unknown>;
  disabled?: boolean;
};

/**
 * A destructive action behind a confirmation. The native <dialog> is modal: it traps focus,
 * closes on Escape and returns focus to the trigger. A failure stays in the dialog.
 */
export function ConfirmButton({
  trigger,
  triggerLabel,
  triggerVariant = "secondary",
  triggerSize = "sm",
  title,
  description,
  confirmLabel,
  onConfirm,
  disabled,
}: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      ref.current?.close();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <>
      <Button
        variant={triggerVariant}
        size={triggerSize}
        aria-label={triggerLabel}
        disabled={disabled}
        onClick={() => {
          setError(null);
          ref.current?.showModal();
        }}
      >
        {trigger}
      </Button>
      <dialog
        ref={ref}
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-desc`}
        className="m-auto w-[calc(100%-2rem)] max-w-md rounded-lg border border-border bg-card p-0 text-foreground shadow-xl backdrop:bg-black/50"
      >
        <div className="px-5 pt-5">
          <h2 id={`${id}-title`} className="text-base font-semibold">
            {title}
          </h2>
          <div id={`${id}-desc`} className="mt-2 text-sm text-muted-foreground">
            {description}
          </div>
          {error ? (
            <Alert tone="danger" className="mt-4">
              {error}
            </Alert>
          ) : null}
        </div>
        <div className="mt-5 flex justify-end gap-2 border-t border-border px-5 py-3">
          <Button variant="secondary" onClick={() => ref.current?.close()} disabled={pending}>
            Cancel
          </Button>
          <Button variant="danger" onClick={confirm} pending={pending}>
            {confirmLabel}
          </Button>
        </div>
      </dialog>
    </>
  );
}
