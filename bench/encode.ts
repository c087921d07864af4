/**
 * `npm run bench:encode`: encode through Baton's browser runtime against the same Transformers.js
 * pipeline called directly, in the same page of headless Chromium, on the same model and texts.
 *
 * Method: a real Baton server serves a models folder with the committed tiny-bert and a
 * MiniLM-sized model written for the run (same generator, 384 wide, 6 layers). The page
 * /workbench/bench holds both contestants: Baton = one `encode` task in the task Web Worker
 * (comlink call, progress events, texts and vectors copied across threads); direct = the same
 * pipeline, batches and `tolist()` on the page. WASM only: headless Chromium's WebGPU adapter is
 * SwiftShader (software), whose timings mean nothing — WebGPU figures need a real GPU. Each
 * model is loaded and run once untimed; then rounds alternate which contestant goes first.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureProductionBuild, ROOT, startBaton } from "../e2e/helpers/baton-process";
import { launchChromium } from "../e2e/helpers/browser";
import { writeModel } from "../scripts/make-tiny-model";
import type { EncodeBenchApi } from "../app/workbench/bench/harness";
import { writeSection } from "./report";

const BATCH = 32;
// The tiny model's runs take ~2 s and vary with whatever else the machine does: more rounds.
const MODELS = [
  { name: "tiny-bert", texts: 2048, rounds: 9, about: "tiny-bert (32 wide, 2 layers; the test model)" },
  { name: "mini-bert", texts: 128, rounds: 3, about: "mini-bert (384 wide, 6 layers, 12 heads: MiniLM-L6's shape)" },
];

/** Real sentences: lines of the Debian documents the PDF tests use, as pdftotext extracted them. */
function corpus(n: number): string[] {
  const dir = path.join(ROOT, "test/fixtures/pdfs");
  const lines = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".pdftotext.txt"))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n"))
    .map((l) => l.trim())
    .filter((l) => l.length >= 40);
  return Array.from({ length: n }, (_, i) => lines[i % lines.length]!);
}

const ortVersion = () => (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/onnxruntime-web/package.json"), "utf8")) as { version: string }).version;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  ensureProductionBuild();
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-bench-models-"));
  fs.cpSync(path.join(ROOT, "models/tiny-bert"), path.join(modelsDir, "tiny-bert"), { recursive: true });
  writeModel(path.join(modelsDir, "mini-bert"), "mini");
  process.env.BATON_MODELS_DIR = modelsDir;
  const baton = await startBaton();
  const browser = await launchChromium();
  const rows: string[] = [];
  try {
    const page = await browser.newPage();
    await page.goto(`${baton.url}/workbench/bench`);
    await page.getByText("Ready.").waitFor({ timeout: 60_000 });
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    for (const model of MODELS) {
      const texts = corpus(model.texts);
      await page.evaluate((m) => window.batonEncodeBench!.warm(m), model.name);
      const times = { baton: [] as number[], direct: [] as number[] };
      const rounds = Number(process.env.BENCH_ROUNDS ?? model.rounds);
      // Round 0 is a warm-up over the whole input (JIT, allocator, ORT's arena), not counted.
      for (let r = 0; r <= rounds; r++) {
        const order: (keyof EncodeBenchApi & ("baton" | "direct"))[] = r % 2 ? ["direct", "baton"] : ["baton", "direct"];
        for (const who of order) {
          const ms = await page.evaluate(([w, m, t, b]) => window.batonEncodeBench![w as "baton" | "direct"](m as string, t as string[], b as number), [who, model.name, texts, BATCH] as const);
          if (r > 0) times[who].push(ms);
        }
      }
      const b = median(times.baton);
      const d = median(times.direct);
      const best = ((Math.min(...times.baton) - Math.min(...times.direct)) / Math.min(...times.direct)) * 100;
      const rate = (ms: number) => {
        const perSecond = (texts.length / ms) * 1000;
        return perSecond.toFixed(perSecond < 100 ? 1 : 0);
      };
      const overhead = ((b - d) / d) * 100;
      console.log(`${model.name}: Baton ${rate(b)}/s, direct ${rate(d)}/s, overhead ${overhead.toFixed(1)}% (runs: baton ${times.baton.map((t) => t.toFixed(0))}, direct ${times.direct.map((t) => t.toFixed(0))} ms)`);
      const pct = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}%`;
      rows.push(`| ${model.about} | ${texts.length} | ${rounds} | ${rate(b)} | ${rate(d)} | ${pct(overhead)} | ${pct(best)} |`);
    }
    writeSection(
      "encode",
      `## Encode in the browser: Baton's Web Worker against Transformers.js direct (\`npm run bench:encode\`)

Same page, model, texts (lines of the Debian PDFs' text), batches of ${BATCH}, mean pooling and
normalisation, on WASM (ONNX Runtime Web ${ortVersion()} from the app's /ort/; page cross-origin
isolated: ${isolated}). Baton = one \`encode\` task in the task Web Worker, texts and vectors copied
between threads, progress events on; direct = the same Transformers.js pipeline on the page.
Rounds alternate which contestant goes first, after an untimed warm-up round; rates are medians;
overhead is Baton's median time against direct's, and best against best. Headless Chromium,
${os.cpus().length} cores, shared with other work: differences of a few per cent are within the noise.

| model | texts | rounds | Baton (texts/s) | direct (texts/s) | overhead (median) | overhead (best) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join("\n")}

The texts run to about 100 tokens each: the generated models' small vocabulary splits most words
into characters, so the mini model does a real model's work per text. Target: overhead at most
5%. On the tiny test model each text costs the encoder almost nothing, so the fixed costs (a
thread hop, copying vectors back) show most there; on a model of real size the encoder dominates. A negative overhead means the worker thread was faster than the page's
main thread (which also runs the page). WebGPU figures need a real GPU: headless Chromium's
adapter here is SwiftShader (software), a correctness check only.`,
    );
  } finally {
    await browser.close();
    await baton.stop();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  }
}

await main();
