import type { ChangeEventHandler } from "react";
import { Field } from "../ui/field";
import { Textarea } from "../ui/input";

/**
 * A NAME=value-a-line text area, full width in the forms' grid: the environment, and the secrets
 * (which browsers must not offer to remember or fill).
 */
export function LinesField(p: {
  label: string;
  hint: string;
  error: string | undefined;
  value: string;
  onChange: ChangeEventHandler<HTMLTextAreaElement>;
  placeholder: string;
  rows?: number;
  secret?: boolean;
}) {
  return (
    <Field label={p.label} error={p.error} hint={p.hint} className="sm:col-span-2">
      {(aria) => (
        <Textarea
          {...aria}
          rows={p.rows ?? 2}
          value={p.value}
          onChange={p.onChange}
          spellCheck={false}
          autoCapitalize="none"
          autoComplete={p.secret ? "off" : undefined}
          placeholder={p.placeholder}
          className="font-mono"
        />
      )}
    </Field>
  );
}
