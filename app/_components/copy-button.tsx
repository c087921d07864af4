"use client";
/** Copies a text (a link, a key) to the clipboard and says so; where the clipboard is refused, says to copy by hand. */
import { useState } from "react";

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  return (
    <button
      type="button"
      className="button button-small"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setState("copied");
        } catch {
          setState("failed");
        }
      }}
    >
      {state === "copied" ? "Copied" : state === "failed" ? "Select and copy it" : label}
    </button>
  );
}

/** A text to pass on (a link, a key), in full, with its Copy button beside it. */
export function CopyBox({ text, testId, label }: { text: string; testId: string; label?: string }) {
  return (
    <div className="secret-box">
      <code data-testid={testId}>{text}</code>
      <CopyButton text={text} label={label} />
    </div>
  );
}
