/**
 * Plain tables for list commands: columns aligned, the widest shrinkable columns truncated with
 * "…" to fit the terminal (only when stdout is a terminal; pipes get full values), colour applied
 * after measuring so escape codes never throw the alignment off.
 */
import { out, type Paint, type Style } from "./style";

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | null | undefined;
  /** Colour for a cell, applied after padding and truncation. */
  paint?: (row: Row) => Paint | undefined;
  align?: "left" | "right";
  /** Whether the column may be truncated to fit (default true). Ids and times should not be. */
  shrink?: boolean;
  /** The narrowest a shrinking column gets (default: its header's width, at least 6). */
  minWidth?: number;
}

export interface TableOptions {
  /** Fit lines into this many characters, truncating shrinkable columns; unlimited when absent. */
  maxWidth?: number;
  style?: Style;
  /** Spaces between columns (default 2). */
  gap?: number;
}

/** Width in terminal cells, counting code points (no East-Asian wide handling; good enough for names). */
export function displayWidth(text: string): number {
  return [...text].length;
}

export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, width).join("");
  return `${chars.slice(0, width - 1).join("")}…`;
}

function cellText(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  // One line per row: newlines and tabs in names or messages would break the table.
  return String(value).replace(/[\r\n\t]+/g, " ");
}

export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[], options: TableOptions = {}): string {
  const style = options.style ?? out;
  const gap = options.gap ?? 2;
  const cells = rows.map((row) => columns.map((col) => cellText(col.value(row))));
  const widths = columns.map((col, i) =>
    Math.max(displayWidth(col.header), ...cells.map((r) => displayWidth(r[i]!))),
  );

  if (options.maxWidth !== undefined) {
    const total = () => widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1);
    const minimum = columns.map((col, i) =>
      col.shrink === false ? widths[i]! : Math.min(widths[i]!, col.minWidth ?? Math.max(6, displayWidth(col.header))),
    );
    // Take one character at a time from the widest column that can still give one.
    while (total() > options.maxWidth) {
      let widest = -1;
      for (let i = 0; i < columns.length; i++) {
        if (widths[i]! > minimum[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      }
      if (widest < 0) break; // As narrow as it goes; let the terminal wrap.
      widths[widest]!--;
    }
  }

  const line = (texts: string[], paints: (Paint | undefined)[]) =>
    texts
      .map((text, i) => {
        const width = widths[i]!;
        const shown = truncate(text, width);
        const pad = " ".repeat(Math.max(0, width - displayWidth(shown)));
        const painted = paints[i] ? paints[i]!(shown) : shown;
        if (columns[i]!.align === "right") return pad + painted;
        return i === texts.length - 1 ? painted : painted + pad;
      })
      .join(" ".repeat(gap))
      .trimEnd();

  const header = line(
    columns.map((c) => c.header),
    columns.map(() => style.bold),
  );
  const body = rows.map((row, r) =>
    line(
      cells[r]!,
      columns.map((col) => col.paint?.(row)),
    ),
  );
  return [header, ...body].join("\n");
}

/**
 * "Label:  value" lines for inspect commands, labels aligned. Rows with an undefined value are
 * left out; null shows as a dim dash.
 */
export function renderDetails(
  entries: readonly (readonly [label: string, value: string | number | boolean | null | undefined])[],
  options: { style?: Style; indent?: number } = {},
): string {
  const style = options.style ?? out;
  const shown = entries.filter(([, v]) => v !== undefined);
  const labelWidth = Math.max(0, ...shown.map(([label]) => displayWidth(label) + 1));
  const indent = " ".repeat(options.indent ?? 0);
  return shown
    .map(([label, value]) => {
      const text = value === null || value === "" ? style.dim("-") : String(value);
      return `${indent}${style.dim(`${label}:`.padEnd(labelWidth))}  ${text}`;
    })
    .join("\n");
}

/** The width to fit tables into: the terminal's when stdout is one, otherwise unlimited. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number | undefined {
  return stream.isTTY && stream.columns ? stream.columns : undefined;
}
