/**
 * The `pdf` kind in Node: pdf.js's legacy build (the modern one needs browser globals Node 20
 * lacks) and a `path` parameter read from the worker's disk.
 */
import { readFile } from "node:fs/promises";
import { createPdfKind, type PdfJsModule, type PdfParams, type PdfResult } from "../pdf";
import type { TaskKind } from "../types";

export const loadPdfJsNode = async (): Promise<PdfJsModule> =>
  (await import("pdfjs-dist/legacy/build/pdf.mjs")) as unknown as PdfJsModule;

const kind = createPdfKind(loadPdfJsNode);

export type NodePdfParams = PdfParams & { path?: string };

export const pdf: TaskKind<NodePdfParams, PdfResult> = async (params, ctx) => {
  if (params.path && !params.data) {
    const { path, ...rest } = params;
    return kind({ ...rest, data: await readFile(path), name: rest.name ?? path.split("/").pop() }, ctx);
  }
  return kind(params, ctx);
};
