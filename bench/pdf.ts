/**
 * PDF benchmark: pages per second through Baton's `pdf` task kind against pdfjs-dist called
 * directly on the same files, in one Node process.
 *
 *   npm run bench:pdf                 (about half a minute)
 *   npm run bench:pdf -- --rounds 20
 *
 * Writes its figures and method to BENCHMARKS.md (between the pdf markers).
 * A benchmark, not a test: it asserts nothing, it measures.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadPdfJsNode, pdf } from "../workers/kinds/node/pdf";
import type { TaskContext } from "../workers/kinds/types";
import { writeSection } from "./report";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg("rounds", 10);
const DIR = path.resolve(import.meta.dirname, "../test/fixtures/pdfs");
const FILES = ["shared-mime-info-spec.pdf", "debian-faq.fr.p9-12.pdf", "debian-faq.de.p9-12.pdf"];

const quiet: TaskContext = { log() {}, metric() {}, progress() {}, signal: new AbortController().signal };

/** The peer: what a developer writes with pdf.js alone — every page's text items, joined. */
async function direct(data: Uint8Array): Promise<number> {
  const pdfjs = (await loadPdfJsNode()) as unknown as typeof import("pdfjs-dist");
  const task = pdfjs.getDocument({ data: data.slice(), verbosity: 0, isEvalSupported: false, disableFontFace: true, useSystemFonts: false });
  const doc = await task.promise;
  let chars = 0; // the joined text is built, as a caller would, so the work is not skipped
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const content = await page.getTextContent();
    chars += content.items.map((i) => ("str" in i ? i.str : "")).join(" ").length;
    page.cleanup();
  }
  await task.destroy();
  return chars >= 0 ? doc.numPages : 0;
}

const viaBaton = (chunk: boolean) => async (data: Uint8Array) => (await pdf({ data, chunk: chunk ? undefined : false }, quiet)).pages.length;

interface Variant {
  name: string;
  run: (data: Uint8Array) => Promise<number>;
  pages: number;
  ms: number;
}

async function main() {
  const docs = FILES.map((f) => new Uint8Array(fs.readFileSync(path.join(DIR, f))));
  const variants: Variant[] = [
    { name: "pdfjs-dist directly (getTextContent, items joined)", run: direct, pages: 0, ms: 0 },
    { name: "Baton pdf kind, pages only (chunk: false)", run: viaBaton(false), pages: 0, ms: 0 },
    { name: "Baton pdf kind, pages + chunks (1000 chars, 150 overlap)", run: viaBaton(true), pages: 0, ms: 0 },
  ];
  // Warm-up: module load, JIT, pdf.js's font and CMap caches — for every variant alike.
  for (const v of variants) for (const d of docs) await v.run(d);
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no variant always runs first (GC, caches, thermal drift).
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    for (const v of order) {
      for (const d of docs) {
        const t0 = performance.now();
        v.pages += await v.run(d);
        v.ms += performance.now() - t0;
      }
    }
  }
  const base = variants[0]!;
  const rate = (v: Variant) => (v.pages / v.ms) * 1000;
  const rows = variants.map((v) => {
    const overhead = v === base ? "—" : `${(((v.ms / v.pages) / (base.ms / base.pages) - 1) * 100).toFixed(1)} %`;
    return `| ${v.name} | ${v.pages} | ${(v.ms / 1000).toFixed(2)} | ${rate(v).toFixed(0)} | ${overhead} |`;
  });
  const totalPages = base.pages / ROUNDS;
  const body = `## PDF text extraction (\`npm run bench:pdf\`)

Pages per second through Baton's \`pdf\` task kind against pdfjs-dist called directly, on the same
files in the same Node process (pdfjs-dist ${pdfjsVersion()}, legacy build, Node ${process.version},
${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}).

| variant | pages | seconds | pages/s | time per page vs direct |
| --- | ---: | ---: | ---: | ---: |
${rows.join("\n")}

Method: the three real PDFs in \`test/fixtures/pdfs\` (English, 17 pages, pdfTeX; French and
German, 4 pages each, xdvipdfmx — ${totalPages} pages a round), ${ROUNDS} rounds after one warm-up
round, variants in a rotating order each round; the time is open → every page's text → destroy,
from bytes in memory. "Directly" is the minimal pdf.js loop (getDocument, getTextContent per page,
items' strings joined); Baton adds line and paragraph reconstruction by position, de-hyphenation,
metadata, the empty-page check and, in the last row, chunking. Both copy the input bytes, since
pdf.js may take over the buffer it is given. Nearly all the time is pdf.js's own parsing, so
Baton's rows land within run-to-run noise of the direct loop (a few per cent either way on this
shared machine).
`;
  console.log(body);
  writeSection("pdf", body);
}

function pdfjsVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../node_modules/pdfjs-dist/package.json"), "utf8")) as { version: string };
  return pkg.version;
}

await main();
