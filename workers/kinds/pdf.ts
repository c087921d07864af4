/**
 * The `pdf` task kind: a PDF's text page by page, its metadata, and chunks ready to embed.
 *
 * Shared by the Node worker and the browser Web Worker, so it imports nothing from Node and
 * takes pdf.js as a loader: Node passes the legacy build (`workers/kinds/node/pdf.ts`), a
 * browser the modern one (`workers/kinds/pdf/browser.ts`). The caller gives bytes or a URL.
 */
import type { TaskContext, TaskKind } from "./types";
import { chunkParagraphs, type ChunkOptions, type TextChunk } from "./pdf/chunk";
import { classifyOpenError, PdfError } from "./pdf/errors";
import { pageText, type TextItemLike } from "./pdf/layout";

export { PdfError } from "./pdf/errors";

/** The part of the pdfjs-dist module this kind uses; both builds (legacy, modern) fit it. */
export interface PdfJsModule {
  getDocument(src: Record<string, unknown>): PdfLoadingTask;
  OPS: Record<string, number>;
}
interface PdfLoadingTask {
  promise: Promise<PdfDocument>;
  destroy(): Promise<void>;
}
interface PdfDocument {
  numPages: number;
  getMetadata(): Promise<{ info: object; metadata: { get(name: string): unknown } | null }>;
  getPage(n: number): Promise<PdfPage>;
}
interface PdfPage {
  getTextContent(): Promise<{ items: TextItemLike[] }>;
  getOperatorList(): Promise<{ fnArray: number[] }>;
  cleanup(): void;
}

export interface PdfParams {
  /** The PDF's bytes. The kind reads a copy, so the caller's buffer stays usable. */
  data?: Uint8Array | ArrayBuffer;
  /** Or where to fetch it (http(s) or, in a browser, a blob: URL). */
  url?: string;
  /** A name for messages and for each chunk's `source` (a file name, say). */
  name?: string;
  password?: string;
  /** Chunking; `false` for pages only. Defaults: 1000 characters with 150 of overlap. */
  chunk?: Partial<ChunkOptions> | false;
}

export interface PdfMetadata {
  source: string;
  title: string | null;
  author: string | null;
  subject: string | null;
  language: string | null;
  producer: string | null;
  pageCount: number;
}

export interface PdfChunk extends TextChunk {
  source: string;
  title: string | null;
  author: string | null;
  pageCount: number;
}

export interface PdfResult {
  metadata: PdfMetadata;
  pages: { page: number; text: string; chars: number }[];
  chunks: PdfChunk[];
}

export const DEFAULT_CHUNK: ChunkOptions = { size: 1000, overlap: 150, unit: "chars" };

async function readBytes(params: PdfParams, signal: AbortSignal): Promise<Uint8Array> {
  if (params.data) return new Uint8Array(params.data).slice();
  if (params.url) {
    const res = await fetch(params.url, { signal });
    if (!res.ok) throw new Error(`${params.url}: HTTP ${res.status} ${res.statusText}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  throw new Error("pdf: give `data` (the PDF's bytes) or `url`");
}

function text(v: unknown): string | null {
  return typeof v === "string" && v.trim() ? v.trim() : null;
}

async function readMetadata(doc: PdfDocument, source: string): Promise<PdfMetadata> {
  const { info, metadata } = await doc.getMetadata();
  const i = info as Record<string, unknown>;
  // XMP (dc:title, dc:creator) when the Info dictionary leaves a field empty.
  const xmp = (k: string) => text(metadata?.get(k));
  return {
    source,
    title: text(i.Title) ?? xmp("dc:title"),
    author: text(i.Author) ?? xmp("dc:creator"),
    subject: text(i.Subject),
    language: text(i.Language),
    producer: text(i.Producer),
    pageCount: doc.numPages,
  };
}

/** Operator codes that paint images: how an image-only (scanned) PDF is told from a blank one. */
function imageOps(pdfjs: PdfJsModule): Set<number> {
  const names = ["paintImageXObject", "paintInlineImageXObject", "paintImageMaskXObject", "paintImageXObjectRepeat", "paintInlineImageXObjectGroup"];
  return new Set(names.map((n) => pdfjs.OPS[n]).filter((v): v is number => typeof v === "number"));
}

export function createPdfKind(loadPdfJs: () => Promise<PdfJsModule>): TaskKind<PdfParams, PdfResult> {
  return async (params: PdfParams, ctx: TaskContext): Promise<PdfResult> => {
    const source = params.name ?? params.url ?? "document.pdf";
    const [pdfjs, data] = await Promise.all([loadPdfJs(), readBytes(params, ctx.signal)]);
    const task = pdfjs.getDocument({
      data,
      password: params.password,
      verbosity: 0, // errors only: font warnings are noise for text extraction
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
    });
    try {
      let doc: PdfDocument;
      try {
        doc = await task.promise;
      } catch (err) {
        throw classifyOpenError(err, source);
      }
      const metadata = await readMetadata(doc, source);
      ctx.log("info", `${source}: ${doc.numPages} pages${metadata.title ? `, “${metadata.title}”` : ""}`);

      const pages: PdfResult["pages"] = [];
      const paged: { page: number; paragraphs: string[] }[] = [];
      for (let n = 1; n <= doc.numPages; n++) {
        ctx.signal.throwIfAborted();
        const page = await doc.getPage(n);
        let content;
        try {
          content = await page.getTextContent();
        } catch (err) {
          throw new PdfError("corrupt", `${source}: corrupt PDF: page ${n} cannot be read (${(err as Error).message})`);
        }
        const { text: t, paragraphs } = pageText(content.items);
        pages.push({ page: n, text: t, chars: t.length });
        if (paragraphs.length > 0) paged.push({ page: n, paragraphs });
        page.cleanup();
        ctx.progress(n / doc.numPages, `page ${n} of ${doc.numPages}`);
      }

      if (paged.length === 0) throw await noTextError(pdfjs, doc, source);
      const empty = pages.filter((p) => p.chars === 0).map((p) => p.page);
      if (empty.length) ctx.log("warn", `${source}: no text layer on page(s) ${empty.join(", ")} (images only or blank)`);

      const chunks =
        params.chunk === false
          ? []
          : chunkParagraphs(paged, { ...DEFAULT_CHUNK, locale: metadata.language ?? undefined, ...params.chunk }).map((c) => ({
              ...c,
              source,
              title: metadata.title,
              author: metadata.author,
              pageCount: metadata.pageCount,
            }));
      ctx.metric("pages", doc.numPages);
      ctx.metric("chunks", chunks.length);
      return { metadata, pages, chunks };
    } finally {
      await task.destroy();
    }
  };
}

/** No page had text: say whether the pages hold images (a scan needing OCR) or nothing at all. */
async function noTextError(pdfjs: PdfJsModule, doc: PdfDocument, source: string): Promise<PdfError> {
  const ops = imageOps(pdfjs);
  let withImages = 0;
  for (let n = 1; n <= doc.numPages; n++) {
    const list = await (await doc.getPage(n)).getOperatorList();
    if (list.fnArray.some((op) => ops.has(op))) withImages++;
  }
  const pages = `${doc.numPages} page${doc.numPages === 1 ? "" : "s"}`;
  return withImages > 0
    ? new PdfError("image-only", `${source}: image-only PDF: no text layer on any of its ${pages} (${withImages} with images; a scan needs OCR first)`)
    : new PdfError("no-text", `${source}: PDF has no text: none of its ${pages} has a text layer or images`);
}
