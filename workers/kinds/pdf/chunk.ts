/**
 * Chunking for retrieval and embedding: pack whole paragraphs into chunks of at most `size`
 * (characters or words), fall back to sentences (Intl.Segmenter, which knows more languages than
 * a regex) and only then to words, and start each chunk with the last units of the one before,
 * up to `overlap`, so a thought cut at a boundary is still whole in one of the two chunks.
 */

export interface ChunkOptions {
  /** Largest chunk, in `unit`s. */
  size: number;
  /** How much of the previous chunk's end to repeat at the start of the next, in `unit`s. */
  overlap: number;
  unit: "chars" | "words";
  /** Sentence splitting locale (the document's language when known). */
  locale?: string;
}

export interface PagedParagraphs {
  page: number;
  paragraphs: string[];
}

export interface TextChunk {
  index: number;
  text: string;
  pageStart: number;
  pageEnd: number;
  chars: number;
  words: number;
}

interface Unit {
  text: string;
  /** measure(text), computed once. */
  size: number;
  page: number;
  /** This unit ends a paragraph (so the next one is joined with a blank line, not a space). */
  paragraphEnd: boolean;
}

const countWords = (s: string) => (s.match(/\S+/g) ?? []).length;

export function measure(text: string, unit: ChunkOptions["unit"]): number {
  return unit === "words" ? countWords(text) : text.length;
}

function sentences(seg: Intl.Segmenter, text: string): string[] {
  return [...seg.segment(text)].map((s) => s.segment.trim()).filter(Boolean);
}

/** Splits a too-long sentence into pieces of at most `size`, at word boundaries. */
function byWords(text: string, opts: ChunkOptions): string[] {
  const out: string[] = [];
  let cur = "";
  for (const w of text.split(/\s+/).filter(Boolean)) {
    const next = cur ? `${cur} ${w}` : w;
    if (cur && measure(next, opts.unit) > opts.size) {
      out.push(cur);
      cur = w;
    } else cur = next;
  }
  if (cur) out.push(cur);
  // A single word longer than a character budget is cut: nothing else can keep the limit.
  return out.flatMap((p) => (opts.unit === "chars" && p.length > opts.size ? cutChars(p, opts.size) : [p]));
}

function cutChars(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function toUnits(pages: PagedParagraphs[], opts: ChunkOptions): Unit[] {
  const units: Unit[] = [];
  // One segmenter for the document: building one per paragraph costs more than the splitting.
  const seg = new Intl.Segmenter(opts.locale, { granularity: "sentence" });
  for (const { page, paragraphs } of pages) {
    for (const para of paragraphs) {
      const parts =
        measure(para, opts.unit) <= opts.size
          ? [para]
          : sentences(seg, para).flatMap((s) => (measure(s, opts.unit) <= opts.size ? [s] : byWords(s, opts)));
      parts.forEach((text, i) => units.push({ text, size: measure(text, opts.unit), page, paragraphEnd: i === parts.length - 1 }));
    }
  }
  return units;
}

/** measure(join(units)) without building the string: separators count as characters, not words. */
function joinedSize(units: Unit[], unit: ChunkOptions["unit"]): number {
  let n = 0;
  units.forEach((u, i) => {
    n += u.size;
    if (i > 0 && unit === "chars") n += units[i - 1]!.paragraphEnd ? 2 : 1;
  });
  return n;
}

function join(units: Unit[]): string {
  let s = "";
  units.forEach((u, i) => {
    if (i > 0) s += units[i - 1]!.paragraphEnd ? "\n\n" : " ";
    s += u.text;
  });
  return s;
}

export function chunkParagraphs(pages: PagedParagraphs[], opts: ChunkOptions): TextChunk[] {
  if (!(opts.size > 0)) throw new Error(`chunk size must be positive (got ${opts.size})`);
  if (!(opts.overlap >= 0 && opts.overlap < opts.size)) {
    throw new Error(`chunk overlap must be at least 0 and less than the size (got ${opts.overlap}, size ${opts.size})`);
  }
  const units = toUnits(pages, opts);
  const chunks: TextChunk[] = [];
  let cur: Unit[] = [];
  // Units of `cur` that came from the previous chunk's overlap: a chunk of only those is not emitted.
  let carried = 0;
  let curSize = 0; // joinedSize(cur), kept up to date as units are added
  const sep = (prev: Unit) => (opts.unit === "chars" ? (prev.paragraphEnd ? 2 : 1) : 0);

  const emit = () => {
    if (cur.length === 0 || cur.length === carried) return;
    const text = join(cur);
    chunks.push({
      index: chunks.length,
      text,
      pageStart: cur[0]!.page,
      pageEnd: cur[cur.length - 1]!.page,
      chars: text.length,
      words: countWords(text),
    });
  };

  for (const unit of units) {
    if (cur.length > 0 && curSize + sep(cur[cur.length - 1]!) + unit.size > opts.size) {
      emit();
      // Carry the tail of the chunk just made, as long as it fits the overlap budget.
      const tail: Unit[] = [];
      for (let i = cur.length - 1; i > 0; i--) {
        const candidate = [cur[i]!, ...tail];
        if (joinedSize(candidate, opts.unit) > opts.overlap) break;
        tail.unshift(cur[i]!);
      }
      // No whole sentence fits the overlap: carry the last words instead, so overlap is never lost.
      if (tail.length === 0 && opts.overlap > 0) {
        const last = cur[cur.length - 1]!;
        const words = last.text.split(" ");
        let kept = "";
        for (let i = words.length - 1; i > 0; i--) {
          const candidate = kept ? `${words[i]} ${kept}` : words[i]!;
          if (measure(candidate, opts.unit) > opts.overlap) break;
          kept = candidate;
        }
        if (kept) tail.push({ ...last, text: kept, size: measure(kept, opts.unit) });
      }
      // The carried tail and the new unit must still fit together.
      while (tail.length > 0 && joinedSize([...tail, unit], opts.unit) > opts.size) tail.shift();
      cur = tail;
      carried = tail.length;
      curSize = joinedSize(cur, opts.unit);
    }
    curSize += (cur.length > 0 ? sep(cur[cur.length - 1]!) : 0) + unit.size;
    cur.push(unit);
  }
  emit();
  return chunks;
}
