/** A run's, deployment's or flow's tags as chips, or `empty` (a dash by default) when it has none. */
import type { ReactNode } from "react";

export function Tags({ tags, empty = <span className="muted">—</span> }: { tags: string[]; empty?: ReactNode }) {
  if (!tags.length) return <>{empty}</>;
  return (
    <span className="tags">
      {tags.map((t) => (
        <span key={t} className="tag">
          {t}
        </span>
      ))}
    </span>
  );
}
