/** What to show where a list is empty: what the thing is, and the exact way to make one. */
import type { ReactNode } from "react";

export function EmptyState({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className="empty-state" aria-label={title} data-testid={testId ?? "empty-state"}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** A command or snippet to copy, as a labelled code block. */
export function Snippet({ label, children }: { label?: string; children: string }) {
  return (
    <figure className="snippet">
      {label ? <figcaption>{label}</figcaption> : null}
      <pre>
        <code>{children}</code>
      </pre>
    </figure>
  );
}
