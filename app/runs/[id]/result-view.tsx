/**
 * A run's result for people: JSON as a collapsible tree (objects and lists fold, the first two
 * levels open), a list of records as a table, the whole value pretty-printed on request, and a
 * download of the stored result. A large result arrives cut down (results.preview), and each
 * list that was cut says how long it really is. Rendered on the server: folding is <details>,
 * so it works before any script loads.
 */
import type { ReactNode } from "react";
import { formatBytes } from "@/app/_lib/format";
import type { RouterOutputs } from "@/app/_lib/trpc-types";

export type ResultPreview = RouterOutputs["results"]["preview"];

/** Most items of one list, rows of one table and columns shown (a whole value is at most 64 KiB). */
const MAX_ITEMS = 200;
const MAX_COLUMNS = 12;
const OPEN_DEPTH = 2;

export function RunResult({ preview, downloadHref, finished }: { preview: ResultPreview; downloadHref: string; finished: boolean }) {
  if (!preview) {
    return (
      <p className="muted" data-testid="result-none">
        {finished ? "No result was stored." : "No result yet: it is stored when the run completes."}
      </p>
    );
  }
  const facts = [preview.storage === "inline" ? "stored inline" : "in the blob store", preview.mediaType, preview.sizeBytes !== null ? formatBytes(preview.sizeBytes) : null].filter(Boolean);
  const download = (
    <a href={downloadHref} download data-testid="result-download">
      Download
    </a>
  );
  const cuts = new Map(preview.cuts.map((c) => [c.path, c.total]));
  return (
    <div className="result-view" data-testid="run-result" data-preview={preview.preview}>
      <p className="result-facts">
        <span className="muted">{facts.join(" · ")}</span> · {download}
      </p>
      {preview.preview === "none" ? (
        <p className="muted" data-testid="result-not-shown">
          {preview.format === "bytes" ? "Bytes, not JSON: download them to look inside." : "Too large to show here: download it to look inside."}
        </p>
      ) : (
        <>
          {preview.preview === "partial" ? (
            <p className="result-note" data-testid="result-cut">
              A large result, shown cut down: long lists to their first items, long texts to their start. Download it for the whole.
            </p>
          ) : null}
          <JsonTree value={preview.value} cuts={cuts} />
          <details className="result-raw">
            <summary>As JSON</summary>
            <pre className="block" data-testid="result-json">
              {JSON.stringify(preview.value, null, 2)}
            </pre>
          </details>
        </>
      )}
    </div>
  );
}

type Cuts = Map<string, number>;

/** Any JSON value as the tree (a task run's arguments, a result); `cuts` names the lists a preview cut. */
export function JsonTree({ value, cuts = new Map(), label }: { value: unknown; cuts?: Cuts; label?: string }) {
  return (
    <div className="json-tree" data-testid="json-tree">
      <JsonValue value={value} path="" depth={0} cuts={cuts} name={label} />
    </div>
  );
}

function childPath(path: string, key: string | number): string {
  return `${path}/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** "3 items", or "first 50 of 2,000 items" where the preview cut the list (the word agrees with what is shown). */
function countText(shown: number, total: number | undefined, word: string): string {
  const n = (x: number) => x.toLocaleString("en-US");
  return total !== undefined && total > shown ? `first ${n(shown)} of ${n(total)} ${word}` : `${n(shown)} ${word}`;
}

function JsonValue({ value, path, depth, cuts, name }: { value: unknown; path: string; depth: number; cuts: Cuts; name?: string }): ReactNode {
  if (value === null || typeof value !== "object") return <JsonScalar value={value} />;
  const open = depth < OPEN_DEPTH;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="json-punct">[]</span>;
    const total = cuts.get(path);
    if (value.every(isRecord)) {
      return (
        <details open={open} className="json-node">
          <summary>
            <span className="json-punct">[</span> {countText(value.length, total, value.length === 1 ? "row" : "rows")} <span className="json-punct">]</span>
          </summary>
          <RecordTable rows={value} label={name ?? "Result rows"} />
        </details>
      );
    }
    return (
      <details open={open} className="json-node">
        <summary>
          <span className="json-punct">[</span> {countText(value.length, total, value.length === 1 ? "item" : "items")} <span className="json-punct">]</span>
        </summary>
        <ol className="json-children" start={0}>
          {value.slice(0, MAX_ITEMS).map((v, i) => (
            <li key={i}>
              <span className="json-key">{i}</span>
              <JsonValue value={v} path={childPath(path, i)} depth={depth + 1} cuts={cuts} name={`${name ?? "item"} ${i}`} />
            </li>
          ))}
          {value.length > MAX_ITEMS ? <li className="muted">… {(value.length - MAX_ITEMS).toLocaleString("en-US")} more</li> : null}
        </ol>
      </details>
    );
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return <span className="json-punct">{"{}"}</span>;
  return (
    <details open={open} className="json-node">
      <summary>
        <span className="json-punct">{"{"}</span> {countText(entries.length, cuts.get(path), entries.length === 1 ? "key" : "keys")} <span className="json-punct">{"}"}</span>
      </summary>
      <dl className="json-children">
        {entries.slice(0, MAX_ITEMS).map(([k, v]) => (
          <div key={k} className="json-entry">
            <dt className="json-key">{k}</dt>
            <dd>
              <JsonValue value={v} path={childPath(path, k)} depth={depth + 1} cuts={cuts} name={k} />
            </dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

function JsonScalar({ value }: { value: unknown }) {
  if (typeof value === "string") return <span className={`json-string${value.length > 120 || value.includes("\n") ? " json-long" : ""}`}>{JSON.stringify(value)}</span>;
  if (typeof value === "number") return <span className="json-number">{String(value)}</span>;
  if (typeof value === "boolean") return <span className="json-boolean">{String(value)}</span>;
  return <span className="json-null">null</span>;
}

/** A list of records as a table: one column per key (the first rows' keys), nested values as compact JSON. */
function RecordTable({ rows, label }: { rows: Record<string, unknown>[]; label: string }) {
  const columns: string[] = [];
  for (const row of rows.slice(0, MAX_ITEMS)) {
    for (const key of Object.keys(row)) if (!columns.includes(key) && columns.length < MAX_COLUMNS) columns.push(key);
  }
  return (
    <div className="table-wrap result-table">
      <table aria-label={label} data-testid="result-table">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, MAX_ITEMS).map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c} className={typeof row[c] === "number" ? "numeric" : undefined}>
                  {cell(row[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > MAX_ITEMS ? <p className="muted">… {(rows.length - MAX_ITEMS).toLocaleString("en-US")} more rows</p> : null}
    </div>
  );
}

function cell(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v.length > 200 ? `${v.slice(0, 199)}…` : v;
  const text = JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
