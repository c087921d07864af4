/**
 * From pdf.js text items to readable text: items → lines → paragraphs.
 *
 * pdf.js gives runs of text in content-stream order with a transform (x, y, font size) and a
 * `hasEOL` guess. Content order is usually reading order (also for multi-column layouts), so
 * nothing is re-sorted: sorting by position would interleave columns. Lines are split where
 * pdf.js says a line ends or the baseline moves; paragraphs where the gap between baselines is
 * clearly larger than the page's usual line spacing, where the first line is indented, or where
 * the font size changes (headings). Line-end hyphens are removed when the word goes on in lower
 * case, the way a typesetter's hyphenation is undone; compounds (“GNU/Linux-Distribution”) keep
 * theirs.
 */

/** The part of pdf.js's TextItem this module reads (marked-content items have no `str`). */
export interface TextItemLike {
  str?: string;
  hasEOL?: boolean;
  transform?: number[];
  width?: number;
}

export interface Line {
  text: string;
  x: number;
  y: number;
  size: number;
}

/** Items to lines. A space is added between runs on one line when the gap looks like one. */
export function itemsToLines(items: TextItemLike[]): Line[] {
  const lines: Line[] = [];
  let cur: (Line & { end: number }) | null = null;
  let breakNext = false;
  for (const item of items) {
    if (typeof item.str !== "string") continue;
    const t = item.transform ?? [1, 0, 0, 1, 0, 0];
    const size = Math.hypot(t[2] ?? 0, t[3] ?? 1) || 1;
    const x = t[4] ?? 0;
    const y = t[5] ?? 0;
    const str = item.str;
    if (str.length > 0) {
      const sameLine = cur && !breakNext && Math.abs(y - cur.y) < 0.5 * Math.max(size, cur.size);
      if (cur && sameLine) {
        const gap = x - cur.end;
        const needsSpace = gap > 0.15 * size && !/\s$/.test(cur.text) && !/^\s/.test(str);
        cur.text += (needsSpace ? " " : "") + str;
        cur.end = x + (item.width ?? 0);
        cur.size = Math.max(cur.size, str.trim() ? size : 0);
      } else {
        if (cur) lines.push(cur);
        cur = { text: str, x, y, size: str.trim() ? size : 0, end: x + (item.width ?? 0) };
      }
      breakNext = false;
    }
    if (item.hasEOL) breakNext = true;
  }
  if (cur) lines.push(cur);
  return lines
    .map(({ text, x, y, size }) => ({ text: text.replace(/\s+/g, " ").trim(), x, y, size }))
    .filter((l) => l.text.length > 0);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Lines to paragraphs (each one string with its lines joined). */
export function linesToParagraphs(lines: Line[]): string[] {
  // The usual baseline distance on this page, from consecutive lines going down the page.
  const gaps: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const g = lines[i - 1]!.y - lines[i]!.y;
    if (g > 0) gaps.push(g);
  }
  const usualGap = median(gaps);
  const leftMargin = median(lines.map((l) => l.x));

  const paragraphs: string[] = [];
  let current = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const prev = lines[i - 1];
    if (prev && current && startsParagraph(prev, line, usualGap, leftMargin)) {
      paragraphs.push(current);
      current = "";
    }
    current = current ? joinLines(current, line.text) : line.text;
  }
  if (current) paragraphs.push(current);
  return paragraphs;
}

function startsParagraph(prev: Line, line: Line, usualGap: number, leftMargin: number): boolean {
  const gap = prev.y - line.y;
  if (gap <= 0) return true; // went up the page: a new column, a footnote, a header
  if (usualGap > 0 && gap > usualGap * 1.1 + 0.5) return true;
  const size = Math.max(prev.size, line.size) || 1;
  if (Math.abs(prev.size - line.size) > 0.15 * size) return true; // heading ↔ body text
  // A first-line indent: this line starts right of the margin, the previous one did not.
  const indent = line.x - leftMargin;
  return indent > 0.8 * size && indent < 6 * size && prev.x - leftMargin < 0.5 * size;
}

const LINE_END_HYPHEN = /(\p{L})[-\u00AD\u2010]$/u;

/** Joins the next line onto a paragraph: undoes hyphenation, otherwise one space. */
export function joinLines(text: string, next: string): string {
  const m = LINE_END_HYPHEN.exec(text);
  if (m) {
    const soft = text.endsWith("\u00AD");
    // A word broken by the typesetter goes on in lower case; a soft hyphen always marks one.
    if (soft || /^\p{Ll}/u.test(next)) return text.slice(0, -1) + next;
    return text + next; // a compound split at its hyphen: keep it, no space
  }
  return `${text} ${next}`;
}

/** One page's text: paragraphs separated by a blank line. */
export function pageText(items: TextItemLike[]): { text: string; paragraphs: string[] } {
  const paragraphs = linesToParagraphs(itemsToLines(items));
  return { text: paragraphs.join("\n\n"), paragraphs };
}
