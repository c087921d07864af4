"use client";
/**
 * Code another member wrote runs in this tab only when this tab's user says so: a notebook
 * opened by someone other than a code cell's last author shows who wrote which code cells and a
 * button to run them; until it is pressed, running the notebook stops at those cells. Nothing
 * runs on open either way. The choice lasts while the page is open and is never stored.
 */
import { CODE_STEP, type Cell } from "@/common/notebook";

/** The author this user has yet to agree to, if the cell is someone else's code; undefined otherwise. */
export function codeNeedsConsent(cell: Pick<Cell, "kind" | "author">, me: string, trusted: ReadonlySet<string>): string | undefined {
  if (cell.kind !== CODE_STEP || !cell.author || cell.author === me || trusted.has(cell.author)) return undefined;
  return cell.author;
}

/** `user:ann@example.com` → ann@example.com; `key:ci` → API key "ci". */
export function authorInWords(author: string): string {
  if (author.startsWith("user:")) return author.slice(5);
  if (author.startsWith("key:")) return `API key "${author.slice(4)}"`;
  return author;
}

export function CodeConsent({ cells, me, trusted, onTrust }: { cells: readonly Cell[]; me: string; trusted: ReadonlySet<string>; onTrust(authors: string[]): void }) {
  const waiting = new Map<string, string[]>();
  for (const cell of cells) {
    const author = codeNeedsConsent(cell, me, trusted);
    if (author) waiting.set(author, [...(waiting.get(author) ?? []), cell.id]);
  }
  if (waiting.size === 0) return null;
  return (
    <section className="notice notice-warn code-consent" role="region" aria-label="Code written by others" data-testid="code-consent">
      <p>
        This notebook has code cells written by someone else:{" "}
        {[...waiting].map(([author, ids], i) => (
          <span key={author}>
            {i ? "; " : ""}
            <strong>{authorInWords(author)}</strong> ({ids.map((id) => <code key={id}>{id}</code>).reduce<React.ReactNode[]>((acc, el, j) => (j ? [...acc, ", ", el] : [el]), [])})
          </span>
        ))}
        . They have not run in this tab and will not until you choose to. When they run, they run sandboxed: no access to your session, cookies or
        this page, and no network — only the inputs they are wired to.
      </p>
      <button type="button" className="button" onClick={() => onTrust([...waiting.keys()])} data-testid="trust-code">
        Allow code cells by {[...waiting.keys()].map(authorInWords).join(", ")} to run in this tab
      </button>
    </section>
  );
}
