"use client";
/**
 * A code cell's own controls: its TypeScript (a function body that reads `inputs.<name>` and
 * returns the cell's output), the inputs it reads — each a name bound to an earlier cell's whole
 * output — and who wrote it. Viewers see the source and the wiring, read-only.
 */
import { useState } from "react";
import { zCodeInputName } from "@/common/code-cell";
import type { Cell } from "@/common/notebook";
import { authorInWords } from "./code-consent";

export function CodeCellEditor(props: {
  cell: Cell;
  earlier: readonly Cell[];
  canEdit: boolean;
  busy: boolean;
  onSource(source: string): void;
  onInput(name: string, source: string | null): void;
}) {
  const { cell, canEdit } = props;
  const source = typeof cell.parameters.source === "string" ? cell.parameters.source : "";
  const [name, setName] = useState("");
  const [from, setFrom] = useState("");
  const nameProblem = name ? zCodeInputName.safeParse(name).error?.issues[0]?.message : undefined;
  const inputs = Object.entries(cell.inputs);
  return (
    <div className="notebook-code">
      <p className="muted" data-testid="code-author">
        {cell.author ? <>Written by {authorInWords(cell.author)}</> : "Not saved yet: you are its author"} · runs sandboxed in this tab (no session, no network), or on a node pool that allows code cells when deployed
      </p>
      <div className="notebook-inputs" role="group" aria-label="Reads">
        {inputs.length === 0 ? <p className="muted">Reads no other cell yet.</p> : null}
        {inputs.map(([param, src]) => (
          <span key={param} className="notebook-code-input">
            <code>inputs.{param}</code> ← the output of{" "}
            {canEdit ? (
              <>
                <select value={src} onChange={(e) => props.onInput(param, e.target.value || null)} disabled={props.busy} data-testid={`code-input-${param}`} aria-label={`inputs.${param} reads`}>
                  {props.earlier.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.id}
                    </option>
                  ))}
                  {!props.earlier.some((c) => c.id === src) ? <option value={src}>{src}</option> : null}
                </select>{" "}
                <button type="button" className="button button-small" onClick={() => props.onInput(param, null)} disabled={props.busy} aria-label={`Stop reading inputs.${param}`}>
                  ×
                </button>
              </>
            ) : (
              <code>{src}</code>
            )}
          </span>
        ))}
        {canEdit && props.earlier.length > 0 ? (
          <form
            className="notebook-code-add"
            onSubmit={(e) => {
              e.preventDefault();
              const src = from || props.earlier[props.earlier.length - 1]!.id;
              if (!name || nameProblem) return;
              props.onInput(name, src);
              setName("");
            }}
          >
            <label>
              read as <code>inputs.</code>
              <input value={name} onChange={(e) => setName(e.target.value.trim())} placeholder="name" size={12} disabled={props.busy} data-testid="code-input-name" aria-invalid={!!nameProblem} />
            </label>{" "}
            <label>
              the output of{" "}
              <select value={from} onChange={(e) => setFrom(e.target.value)} disabled={props.busy} data-testid="code-input-from">
                <option value="">{props.earlier[props.earlier.length - 1]!.id}</option>
                {props.earlier.slice(0, -1).map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.id}
                  </option>
                ))}
              </select>
            </label>{" "}
            <button type="submit" className="button button-small" disabled={props.busy || !name || !!nameProblem} data-testid="code-input-add">
              Add input
            </button>
            {nameProblem ? <span className="feedback-error"> {nameProblem}</span> : null}
          </form>
        ) : null}
      </div>
      {canEdit ? (
        <label className="notebook-code-source">
          <span>TypeScript: the body of an async function of <code>inputs</code>; what it returns is the cell&apos;s output</span>
          <textarea value={source} onChange={(e) => props.onSource(e.target.value)} rows={Math.min(24, Math.max(4, source.split("\n").length + 1))} spellCheck={false} disabled={props.busy} data-testid="code-source" />
        </label>
      ) : (
        <pre className="notebook-parameters-json" data-testid="code-source-text">
          {source}
        </pre>
      )}
    </div>
  );
}
