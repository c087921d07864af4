/**
 * An MLOps pipeline as a Baton flow, on the built-in task kinds, offline:
 * PDFs → text and chunks → embeddings (the lexical encoder; a transformer when you have one)
 * → clusters labelled by their terms → a classifier trained on the labelled chunks → inference
 * on new text. Every step is a task run with its own state, logs, metrics and result.
 *
 *   baton work-pool create local --type node
 *   baton deploy examples/mlops.ts:mlops -n docs -p local --param 'pdfs=["test/fixtures/pdfs/debian-faq.fr.p9-12.pdf","test/fixtures/pdfs/shared-mime-info-spec.pdf"]'
 *   baton worker start -p local
 *   baton deployment run mlops/docs
 *
 * Or without a server: `npx tsx examples/mlops.ts file1.pdf file2.pdf …`.
 */
import path from "node:path";
import { z } from "zod";
import { flow, getRunLogger, task } from "../sdk";
import { runKind } from "../sdk/kinds";
import { cluster } from "../workers/kinds/cluster";
import { encodeLexical, transformLexical, type LexicalModel } from "../workers/kinds/encode-lexical";
import { infer } from "../workers/kinds/node/infer";
import { pdf } from "../workers/kinds/node/pdf";
import { train } from "../workers/kinds/train";

const extract = task({ name: "extract", retries: 1 }, async (file: string) => {
  const result = await runKind(pdf, { path: file, name: path.basename(file), chunk: { size: 800, overlap: 100 } });
  return result.chunks.map((c) => ({ source: c.source, text: c.text, pages: `${c.pageStart}-${c.pageEnd}` }));
});

const embed = task("embed", async (texts: string[]) => runKind(encodeLexical, { texts, dimensions: 64 }));

const clusterChunks = task("cluster", async (vectors: number[][], texts: string[], model: LexicalModel) =>
  runKind(cluster, { vectors, seed: 7, terms: { texts, ...model } }),
);

const trainClassifier = task("train", async (vectors: number[][], labels: string[]) =>
  runKind(train, { embeddings: vectors, labels, model: "mlp", patience: 20, maxEpochs: 300, seed: 7 }),
);

const classify = task("infer", async (onnx: Uint8Array, model: LexicalModel, texts: string[]) =>
  runKind(infer, { model: onnx, embeddings: transformLexical(model, texts) }),
);

export const mlops = flow(
  {
    name: "mlops",
    description: "PDFs to chunks, embeddings, clusters and a classifier, offline",
    parameters: z.object({
      pdfs: z.array(z.string().min(1)).min(2, "give at least two PDFs: the classifier learns which one a chunk came from"),
      newTexts: z.array(z.string()).default([]),
    }),
  },
  async ({ pdfs, newTexts }) => {
    const logger = getRunLogger();
    const chunks = (await Promise.all(pdfs.map((file) => extract(file)))).flat();
    const texts = chunks.map((c) => c.text);
    logger.info(`${chunks.length} chunks from ${pdfs.length} PDFs`);
    const { vectors, model } = await embed(texts);
    const clusters = await clusterChunks(vectors, texts, model);
    for (const c of clusters.clusters) logger.info(`cluster ${c.id}: ${c.size} chunks — ${c.terms.map((t) => t.term).join(", ")}`);
    const trained = await trainClassifier(vectors, chunks.map((c) => c.source));
    logger.info(`classifier: validation accuracy ${trained.validation.accuracy.toFixed(3)} after ${trained.epochsRun} epochs`);
    const predictions = newTexts.length ? await classify(trained.onnx, model, newTexts) : undefined;
    return {
      chunks: chunks.length,
      k: clusters.k,
      clusters: clusters.clusters.map((c) => ({ size: c.size, terms: c.terms.map((t) => t.term) })),
      labels: clusters.labels,
      sources: chunks.map((c) => c.source),
      validationAccuracy: trained.validation.accuracy,
      predictions: predictions?.kind === "classifier" ? predictions.predictions.map((p) => p.label) : [],
    };
  },
);

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await mlops({ pdfs: process.argv.slice(2), newTexts: [] });
  console.log(JSON.stringify({ ...result, labels: undefined, sources: undefined }, null, 2));
}
