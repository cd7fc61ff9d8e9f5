// The pieces every form is made of: a labelled input (the label is its accessible name and a
// large tap target) and the sentence that says what went wrong.
import type { ComponentChildren } from "preact";

type FieldProps = {
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  type?: "text" | "tel" | "password";
  inputMode?: "text" | "tel" | "numeric" | "decimal";
  autoComplete?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
};

export function Field({ label, value, onValue, type = "text", ...input }: FieldProps) {
  return (
    <label>
      {label}
      {/* Preact types an input by its `type`, one literal at a time: any of these three fits. */}
      <input {...input} type={type as "text"} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
    </label>
  );
}

/** Says what went wrong, read out by screen readers as it appears; nothing when all is well. */
export function Problem({ text }: { text: string }) {
  return text ? (
    <p class="error" role="alert">
      {text}
    </p>
  ) : null;
}
