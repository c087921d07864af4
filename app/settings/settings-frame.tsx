/**
 * What the settings pages are made of: titled sections (a muted line of explanation under the
 * title where there is one) and tables of things with a hidden-titled Actions column, or a line
 * saying there are none yet.
 */
import type { ReactNode } from "react";

export function SettingsSection({ id, title, intro, children }: { id: string; title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {intro ? <p className="muted">{intro}</p> : null}
      {children}
    </section>
  );
}

export function SettingsTable<T>({
  label,
  columns,
  actions = true,
  items,
  row,
  empty,
}: {
  /** The table's accessible name. */
  label: string;
  columns: string[];
  /** A last column for the row's buttons. */
  actions?: boolean;
  items: T[];
  row: (item: T) => ReactNode;
  /** Shown instead of the table when there are no items (else an empty table). */
  empty?: { testId: string; text: string };
}) {
  if (empty && items.length === 0) {
    return (
      <p className="muted" data-testid={empty.testId}>
        {empty.text}
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{items.map((item) => row(item))}</tbody>
      </table>
    </div>
  );
}
