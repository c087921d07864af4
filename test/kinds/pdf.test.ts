/**
 * The pdf kind on real PDFs from Debian's documentation (English, French, German), compared with
 * what poppler's pdftotext extracts (its output is committed beside each fixture, so the test
 * needs nothing but Node), and on broken ones: encrypted, truncated, image-only, not a PDF.
 *
 * Similarity, over words (NFKC, case-folded, letters and digits): the multiset Jaccard
 * (order-blind) and 2·LCS/(|a|+|b|) (order-aware), both at least 0.97. The gap to 1 is mostly
 * where the two differ on purpose: pdftotext joins “Debian-\nRichtlinien” into
 * “DebianRichtlinien”; Baton keeps a hyphen before a capital (“Debian-Richtlinien”).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pdf } from "@/workers/kinds/node/pdf";
import { PdfError } from "@/workers/kinds/pdf";
import { bagJaccard, recordingContext, sequenceSimilarity, words } from "./pdf-helpers";

const FIXTURES = path.resolve(__dirname, "../fixtures/pdfs");
const fixture = (name: string) => path.join(FIXTURES, name);

const REAL = [
  { file: "debian-faq.fr.p9-12.pdf", title: "La FAQ Debian GNU/Linux", pages: 4, phrase: "Qu’est-ce que cette FAQ ?" },
  { file: "debian-faq.de.p9-12.pdf", title: "Die Debian GNU/Linux-FAQ", pages: 4, phrase: "Definitionen und Überblick" },
  { file: "shared-mime-info-spec.pdf", title: null, pages: 17, phrase: "Shared MIME-info Database" },
];

describe("pdf kind: real documents against pdftotext", () => {
  it.each(REAL)("$file: text, pages and metadata", async ({ file, title, pages, phrase }) => {
    const ctx = recordingContext();
    const result = await pdf({ path: fixture(file) }, ctx);

    expect(result.metadata).toMatchObject({ source: file, title, pageCount: pages });
    expect(result.pages.map((p) => p.page)).toEqual(Array.from({ length: pages }, (_, i) => i + 1));
    const all = result.pages.map((p) => p.text).join("\n\n");
    expect(all).toContain(phrase);

    const ours = words(all);
    const reference = words(fs.readFileSync(fixture(file.replace(/\.pdf$/, ".pdftotext.txt")), "utf8"));
    expect(bagJaccard(ours, reference)).toBeGreaterThanOrEqual(0.97);
    expect(sequenceSimilarity(ours, reference)).toBeGreaterThanOrEqual(0.97);

    // Progress once per page, ending at 1; metrics for pages and chunks.
    expect(ctx.progressed).toHaveLength(pages);
    expect(ctx.progressed.at(-1)).toBe(1);
    expect(ctx.metrics.find((m) => m.name === "pages")?.value).toBe(pages);
  });

  it("joins lines into paragraphs and undoes the typesetter's hyphens (French)", async () => {
    const { pages } = await pdf({ path: fixture("debian-faq.fr.p9-12.pdf") }, recordingContext());
    const page2 = pages[1]!.text;
    // “distri-” / “butions” across a line end in the PDF.
    expect(page2).toContain("elle peut servir de base pour des distributions Linux à valeur ajoutée");
    // A paragraph is one line of text; paragraphs are separated by a blank line.
    expect(page2).toContain("Le projet Debian a été créé par Ian Murdock en 1993, initialement sous le patronage du projet GNU de la Free Software Foundation.");
    expect(page2.split("\n\n").length).toBeGreaterThan(3);
  });

  it("keeps hyphens that belong to the words, and paragraphs by gap and indent", async () => {
    const result = await pdf({ path: fixture("line-joining.pdf"), chunk: false }, recordingContext());
    expect(result.metadata).toMatchObject({ title: "Line joining test", author: "Baton authors", pageCount: 2 });
    expect(result.pages[0]!.text.split("\n\n")).toEqual([
      "Baton extracts text from PDF files page by page. It joins the lines of a paragraph with spaces and removes the hyphens that a typesetter put at the end of a line to break a long word.",
      "A second paragraph starts with an indent and a larger gap. Words like state-of-the-art keep their hyphens, and so does a compound split as GNU/Linux-Distribution at a line end before a capital letter.",
    ]);
    expect(result.pages[1]!.text).toMatch(/^The second page holds one more paragraph/);
    expect(result.chunks).toEqual([]);
  });
});

describe("pdf kind: chunks", () => {
  it("keeps size and overlap, page numbers and the document's metadata with each chunk", async () => {
    const size = 400;
    const overlap = 80;
    const { chunks, pages } = await pdf({ path: fixture("shared-mime-info-spec.pdf"), chunk: { size, overlap } }, recordingContext());
    expect(chunks.length).toBeGreaterThan(40);
    for (const [i, c] of chunks.entries()) {
      expect(c.index).toBe(i);
      expect(c.chars).toBeLessThanOrEqual(size);
      expect(c).toMatchObject({ source: "shared-mime-info-spec.pdf", title: null, author: null, pageCount: 17 });
      expect(c.pageStart).toBeLessThanOrEqual(c.pageEnd);
      // The chunk's text is found on the pages it names.
      const span = pages.slice(c.pageStart - 1, c.pageEnd).map((p) => p.text).join(" ");
      expect(words(span).join(" ")).toContain(words(c.text).slice(0, 5).join(" "));
      if (i > 0) expect(c.pageStart).toBeGreaterThanOrEqual(chunks[i - 1]!.pageStart);
    }
    // Chunks start with the end of the previous one (overlap): whole sentences where they fit
    // in `overlap`, else its last words.
    let overlapping = 0;
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]!.text;
      const cur = chunks[i]!.text;
      let shared = 0;
      for (let n = Math.min(prev.length, cur.length, overlap); n > 0; n--) {
        if (prev.endsWith(cur.slice(0, n))) {
          shared = n;
          break;
        }
      }
      if (shared > 0) overlapping++;
    }
    expect(overlapping / (chunks.length - 1)).toBeGreaterThan(0.9);
    // Nothing is lost: every word of the document is in some chunk.
    const inChunks = new Set(chunks.flatMap((c) => words(c.text)));
    expect(words(pages.map((p) => p.text).join(" ")).every((w) => inChunks.has(w))).toBe(true);
  });

  it("counts words when asked and spans pages", async () => {
    const { chunks } = await pdf({ path: fixture("debian-faq.de.p9-12.pdf"), chunk: { unit: "words", size: 120, overlap: 20 } }, recordingContext());
    expect(chunks.every((c) => c.words <= 120)).toBe(true);
    expect(chunks.some((c) => c.pageEnd > c.pageStart)).toBe(true);
    expect(chunks.every((c) => c.title === "Die Debian GNU/Linux-FAQ" && c.pageCount === 4)).toBe(true);
  });
});

describe("pdf kind: documents it cannot read fail and say why", () => {
  const failure = async (params: Parameters<typeof pdf>[0]) => {
    const err = await pdf(params, recordingContext()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PdfError);
    return err as PdfError;
  };

  it("encrypted: needs a password; a wrong one is refused; the right one opens it", async () => {
    const none = await failure({ path: fixture("encrypted.pdf") });
    expect(none.code).toBe("encrypted");
    expect(none.message).toBe("encrypted.pdf: encrypted PDF: it needs a password to open (none was given)");
    expect((await failure({ path: fixture("encrypted.pdf"), password: "nope" })).code).toBe("wrong-password");
    const opened = await pdf({ path: fixture("encrypted.pdf"), password: "secret" }, recordingContext());
    expect(opened.pages[0]!.text).toContain("typesetter");
  });

  it("truncated: corrupt", async () => {
    const err = await failure({ path: fixture("truncated.pdf") });
    expect(err.code).toBe("corrupt");
    expect(err.message).toMatch(/^truncated\.pdf: corrupt or truncated PDF/);
  });

  it("not a PDF at all: corrupt", async () => {
    const err = await failure({ data: new TextEncoder().encode("hello, not a pdf\n"), name: "notes.txt" });
    expect(err.message).toMatch(/^notes\.txt: corrupt or truncated PDF/);
  });

  it("image-only (a scanned page): says it has no text layer and needs OCR", async () => {
    const err = await failure({ path: fixture("image-only.pdf") });
    expect(err.code).toBe("image-only");
    expect(err.message).toBe("image-only.pdf: image-only PDF: no text layer on any of its 1 page (1 with images; a scan needs OCR first)");
  });
});

describe("pdf kind: runs as a task", () => {
  it("stops when the run is cancelled", async () => {
    const controller = new AbortController();
    controller.abort(new Error("cancelled by the user"));
    await expect(pdf({ path: fixture("line-joining.pdf") }, recordingContext(controller.signal))).rejects.toThrow("cancelled by the user");
  });

  it("leaves the caller's bytes usable (pdf.js may take over the buffer it is given)", async () => {
    const data = new Uint8Array(fs.readFileSync(fixture("line-joining.pdf")));
    await pdf({ data, name: "a.pdf" }, recordingContext());
    const again = await pdf({ data, name: "b.pdf" }, recordingContext());
    expect(data.byteLength).toBeGreaterThan(1000);
    expect(again.metadata.source).toBe("b.pdf");
  });
});
