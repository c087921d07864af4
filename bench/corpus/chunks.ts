/**
 * The labelled chunk corpora bench:nmi (and the k-selection study) run on: whole Debian
 * documentation PDFs, cut by Baton's own pdf kind with its default chunking (1,000 characters,
 * 150 of overlap), one label per source PDF — the chunks a user gets from the same PDFs.
 *
 * Too large for git (about 15 MB of text), so `npm run bench:corpus` (this file) downloads the
 * packages with `apt-get download`, unpacks them with `dpkg-deb -x` (nothing is installed) and
 * writes one JSONL of chunks per PDF into a cache folder: $BATON_CORPUS_CACHE, by default
 * ~/.cache/baton-corpus. Loading is separate (`corpora`), and names the command when the cache
 * is missing.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pdf } from "../../workers/kinds/node/pdf";
import { createRng, sampleIndices } from "../../workers/kinds/random";
import type { TaskContext } from "../../workers/kinds/types";

export interface Doc {
  label: string;
  /** A coarser grouping: the project the manual documents. */
  topic: string;
  language: string;
  pkg: string;
  file: string;
}

export interface Chunk {
  label: string;
  topic: string;
  language: string;
  index: number;
  text: string;
}

const R = "usr/share/R/doc/manual";
const REF = "usr/share/debian-reference";
export const DOCS: Doc[] = [
  ...["R-admin", "R-data", "R-exts", "R-intro", "R-ints", "R-lang", "R-FAQ"].map((m) => ({ label: m.toLowerCase(), topic: "r", language: "en", pkg: "r-doc-pdf", file: `${R}/${m}.pdf` })),
  { label: "octave", topic: "octave", language: "en", pkg: "octave-doc", file: "usr/share/doc/octave/octave.pdf" },
  { label: "liboctave", topic: "octave", language: "en", pkg: "octave-doc", file: "usr/share/doc/octave/liboctave.pdf" },
  { label: "asymptote", topic: "asymptote", language: "en", pkg: "asymptote-doc", file: "usr/share/doc/asymptote/asymptote.pdf" },
  { label: "gnuplot", topic: "gnuplot", language: "en", pkg: "gnuplot-doc", file: "usr/share/doc/gnuplot/gnuplot.pdf" },
  { label: "reportlab", topic: "reportlab", language: "en", pkg: "python-reportlab-doc", file: "usr/share/doc/python-reportlab-doc/reportlab-userguide.pdf" },
  { label: "freefem", topic: "freefem", language: "en", pkg: "freefem-doc", file: "usr/share/doc/freefem-doc/freefem.pdf" },
  { label: "camlidl", topic: "camlidl", language: "en", pkg: "camlidl-doc", file: "usr/share/doc/camlidl/camlidl-1.04.doc.pdf" },
  ...["en", "fr", "ja"].map((l) => ({ label: `amc-${l}`, topic: "amc", language: l, pkg: "auto-multiple-choice-doc-pdf", file: `usr/share/doc/auto-multiple-choice/auto-multiple-choice.${l}.pdf` })),
  ...["en", "de", "es", "fr", "it", "ja"].map((l) => ({ label: `debian-reference-${l}`, topic: "debian-reference", language: l, pkg: `debian-reference-${l}`, file: `${REF}/debian-reference.${l}.pdf` })),
];

export const cacheDir = () => process.env.BATON_CORPUS_CACHE ?? path.join(os.homedir(), ".cache", "baton-corpus");
const chunkFile = (label: string) => path.join(cacheDir(), "chunks", `${label}.jsonl`);

export function loadChunks(docs: Doc[] = DOCS): Chunk[] {
  const missing = docs.filter((d) => !fs.existsSync(chunkFile(d.label)));
  if (missing.length) throw new Error(`corpus cache lacks ${missing.map((d) => d.label).join(", ")} in ${cacheDir()}: run \`npm run bench:corpus\` first`);
  return docs.flatMap((d) =>
    fs.readFileSync(chunkFile(d.label), "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Chunk),
  );
}

const quiet: TaskContext = { log() {}, metric() {}, progress() {}, signal: new AbortController().signal };

async function build() {
  const dir = cacheDir();
  const debs = path.join(dir, "debs");
  const root = path.join(dir, "root");
  fs.mkdirSync(debs, { recursive: true });
  fs.mkdirSync(path.join(dir, "chunks"), { recursive: true });
  const versions: string[] = [];
  for (const pkg of [...new Set(DOCS.map((d) => d.pkg))]) {
    let deb = fs.readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
    if (!deb) {
      execFileSync("apt-get", ["download", pkg], { cwd: debs, stdio: ["ignore", "ignore", "inherit"] });
      deb = fs.readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"))!;
    }
    execFileSync("dpkg-deb", ["-x", path.join(debs, deb), root]);
    versions.push(deb.replace(/_all\.deb$/, ""));
  }
  for (const doc of DOCS) {
    const t = performance.now();
    const result = await pdf({ path: path.join(root, doc.file) }, quiet);
    const lines = result.chunks.map((c) => JSON.stringify({ label: doc.label, topic: doc.topic, language: doc.language, index: c.index, text: c.text } satisfies Chunk));
    fs.writeFileSync(chunkFile(doc.label), lines.join("\n") + "\n");
    console.log(`${doc.label}: ${result.metadata.pageCount} pages → ${result.chunks.length} chunks (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  fs.writeFileSync(path.join(dir, "versions.txt"), versions.join("\n") + "\n");
  console.log(`packages: ${versions.join(", ")}\ncache: ${dir}`);
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) await build();

export interface Corpus {
  name: string;
  /** What a label is. */
  labelledBy: string;
  texts: string[];
  labels: string[];
}

/**
 * The three labelled sets, each at about 400 and 2,000 chunks (a seeded uniform sample, so a
 * manual keeps its share) and whole: every PDF by source document (13,358 chunks whole); the
 * translated manuals (Debian Reference in six languages, the AMC manual in three) by document;
 * the English manuals by project (the seven R manuals are one topic, Octave's two another).
 */
export function corpora(sizes: (number | "all")[] = [400, 2000, "all"], seed = 11): Corpus[] {
  const all = loadChunks();
  const sets = [
    { name: "manuals", labelledBy: "source PDF (23)", chunks: all, label: (c: Chunk) => c.label },
    { name: "languages", labelledBy: "source PDF (9: 6 + 3 translations)", chunks: all.filter((c) => c.topic === "debian-reference" || c.topic === "amc"), label: (c: Chunk) => c.label },
    { name: "topics", labelledBy: "project (9)", chunks: all.filter((c) => c.language === "en"), label: (c: Chunk) => c.topic },
  ];
  return sets.flatMap((set) =>
    sizes.map((size) => {
      const picked = size === "all" || size >= set.chunks.length ? set.chunks : pick(set.chunks, size, seed);
      return { name: `${set.name} ${picked.length}`, labelledBy: set.labelledBy, texts: picked.map((c) => c.text), labels: picked.map(set.label) };
    }),
  );
}

function pick<T>(items: T[], m: number, seed: number): T[] {
  return Array.from(sampleIndices(items.length, m, createRng(seed))).sort((a, b) => a - b).map((i) => items[i]!);
}
