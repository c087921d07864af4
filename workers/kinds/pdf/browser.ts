/**
 * Loads pdf.js's modern build for the `pdf` kind in a browser Web Worker. Inside a worker pdf.js
 * runs its "fake worker" on the same thread but still imports `workerSrc`, so the app must serve
 * `pdf.worker.min.mjs` itself (no CDN) and say where.
 */
import type { PdfJsModule } from "../pdf";

export function browserPdfJsLoader(workerSrc: string): () => Promise<PdfJsModule> {
  let loaded: Promise<PdfJsModule> | null = null;
  return () =>
    (loaded ??= import("pdfjs-dist").then((m) => {
      m.GlobalWorkerOptions.workerSrc = workerSrc;
      return m as unknown as PdfJsModule;
    }));
}
