/**
 * The task kinds Baton runs, as one list: each kind's name, what it does, its parameters and
 * result (zod, and JSON schema from them for forms and deployments), where it may run and an
 * example. The server checks `kind:<name>` deployments against it, `baton kind ls|inspect` and
 * the /kinds page document it, the Node worker and the tab check a run's parameters against it
 * before the kind starts, and the tab's list of kinds must match its `runsOn` (type-checked).
 *
 * Browser-safe and free of the implementations: this module is read by the server, the CLI, the
 * page and the tab's Web Worker alike, and an implementation pulls in its runtime (pdf.js,
 * onnxruntime-node, node:fs). Each runtime binds names to code lazily in its own file:
 * workers/node/entrypoints.ts (`loadKind`) and workers/browser/kinds.ts.
 *
 * Only what a deployment or flow code may call is here. The helpers the kinds are built from
 * (kmeans, tokenize, tfidf, svd…) are modules, not kinds: `kind:kmeans` is refused.
 */
import { z } from "zod";

/**
 * Where a kind may run: `tab` a browser tab's Web Worker (WebGPU or WASM), `node` any Node worker
 * (CPU), `gpu` a Node worker with a GPU, where heavy work (training) is meant to go.
 */
export type KindRuntime = "tab" | "node" | "gpu";

export interface KindDefinition<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  name: string;
  /** One line: what it does. */
  summary: string;
  /** A paragraph: inputs, outputs and how it chooses. */
  description: string;
  parameters: P;
  result: R;
  runsOn: readonly KindRuntime[];
  /** Parameters that run as they are (JSON: a deployment could use them). */
  example: z.input<P>;
  /** Hints for parameter names people reach for that are not this kind's (e.g. cluster's `texts`). */
  hints?: Record<string, string>;
}

// -------------------------------------------------------------------------------------------
// Values that JSON cannot carry whole: checked by a function, described to JSON schema apart
// -------------------------------------------------------------------------------------------

/** JSON-schema forms of the custom (function-checked) schemas below, used by `kindJsonSchema`. */
const jsonForms = new WeakMap<z.ZodType, Record<string, unknown>>();

function custom<T>(check: (v: unknown) => boolean, message: string, json: Record<string, unknown>) {
  const schema = z.custom<T>(check, { error: message });
  jsonForms.set(schema, json);
  return schema;
}

const isNumberArrayLike = (v: unknown): boolean => {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return !(v instanceof BigInt64Array || v instanceof BigUint64Array);
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== "number") return false;
  return true;
};

/** One embedding: numbers, as a JSON array or (from flow code) a typed array. Checked per row, not per number: fast on 10,000 × 384. */
const zVector = custom<ArrayLike<number>>(isNumberArrayLike, "must be an array of numbers", { type: "array", items: { type: "number" } });

const zVectors = (what: string) => z.array(zVector, { error: `must be an array of ${what} (arrays of numbers)` });

/** Bytes come from flow code (`runKind`) only: JSON parameters name a file or URL instead. */
const zBytes = custom<Uint8Array | ArrayBuffer>(
  (v) => v instanceof Uint8Array || v instanceof ArrayBuffer,
  "must be bytes (a Uint8Array or ArrayBuffer, from flow code); JSON parameters cannot carry them",
  { not: {}, "x-baton-bytes": true },
);

const zUuid = (what: string) => z.uuid({ error: `must be ${what} (a UUID)` });

const count = () => z.number().int("must be a whole number").min(1, "must be 1 or more");

// -------------------------------------------------------------------------------------------
// pdf
// -------------------------------------------------------------------------------------------

const zChunkOptions = z.strictObject({
  size: count().default(1000).describe("largest chunk, in units"),
  overlap: z.number().int("must be a whole number").min(0, "must be 0 or more").default(150).describe("how much of a chunk's end starts the next one, in units"),
  unit: z.enum(["chars", "words"]).default("chars"),
  locale: z.string().optional().describe("sentence-splitting locale (default: the document's language)"),
});

const pdfParameters = z
  .strictObject({
    url: z.string().min(1).optional().describe("where to fetch the PDF (http(s); in a tab also a blob: URL)"),
    path: z.string().min(1).optional().describe("Node workers only: a file on the worker's disk"),
    data: zBytes.optional().describe("the PDF's bytes (flow code only)"),
    name: z.string().optional().describe("a name for messages and each chunk's source (default: the file name or URL)"),
    password: z.string().optional(),
    chunk: z
      .union([z.literal(false), zChunkOptions.partial()])
      .optional()
      .describe("chunking options, or false for pages only (default: 1000 characters, 150 of overlap)"),
  })
  .refine((p) => p.url !== undefined || p.path !== undefined || p.data !== undefined, {
    error: "give the PDF as url, path (Node workers) or data (flow code)",
    path: ["url"],
  });

const pdfChunk = z.looseObject({
  index: z.number(),
  text: z.string(),
  pageStart: z.number(),
  pageEnd: z.number(),
  chars: z.number(),
  words: z.number(),
  source: z.string(),
  title: z.string().nullable(),
  author: z.string().nullable(),
  pageCount: z.number(),
});

const pdfResult = z.object({
  metadata: z.object({
    source: z.string(),
    title: z.string().nullable(),
    author: z.string().nullable(),
    subject: z.string().nullable(),
    language: z.string().nullable(),
    producer: z.string().nullable(),
    pageCount: z.number(),
  }),
  pages: z.array(z.object({ page: z.number(), text: z.string(), chars: z.number() })),
  chunks: z.array(pdfChunk),
});

// -------------------------------------------------------------------------------------------
// encode
// -------------------------------------------------------------------------------------------

const zTokenizer = z.strictObject({
  segmenter: z.enum(["intl", "regex"]).optional(),
  stopWords: z.boolean().optional(),
  minLength: count().optional(),
});

/** A lexical model from an earlier encode run (its result's `model`): checked in full by the encoder. */
const zLexicalModel = z.looseObject({ encoder: z.literal("lexical-tfidf-lsa"), terms: z.array(z.string()), components: z.string() });

const encodeParameters = z.strictObject({
  texts: z.array(z.string(), { error: "must be an array of strings" }).min(1, "must have at least one text").describe("the texts to embed"),
  encoder: z
    .enum(["auto", "transformer", "lexical"])
    .default("auto")
    .describe("auto: the transformer model when one is named and loads, else the lexical encoder (TF-IDF + LSA, no weights needed)"),
  model: z
    .union([z.string().min(1), zLexicalModel])
    .optional()
    .describe("a transformer model folder under the models directory, or a lexical model from an earlier encode run"),
  device: z.enum(["auto", "webgpu", "wasm", "cpu"]).default("auto").describe("transformer only: auto picks WebGPU when there is an adapter"),
  batchSize: count().default(32).describe("transformer only: texts per batch"),
  normalize: z.boolean().default(true).describe("transformer only: L2-normalise the vectors"),
  dimensions: count().default(128).describe("lexical only: size of the vectors"),
  seed: z.number().int().default(42).describe("lexical only"),
  minDf: z.number().positive().optional().describe("lexical only: minimum document frequency (a count, or a fraction below 1)"),
  maxDf: z.number().positive().optional().describe("lexical only: maximum document frequency (a fraction up to 1, or a count)"),
  maxFeatures: count().optional().describe("lexical only: most terms kept"),
  sublinearTf: z.boolean().default(true).describe("lexical only: 1 + ln(tf)"),
  powerIterations: z.number().int().min(0).optional().describe("lexical only: randomized SVD power iterations"),
  tokenizer: zTokenizer.optional().describe("lexical only"),
});

const encodeResult = z.looseObject({
  encoder: z.string().describe('"transformer" or "lexical-tfidf-lsa"'),
  dimensions: z.number(),
  vectors: z.array(z.array(z.number())),
  model: z.unknown().describe("the transformer's name, or the fitted lexical model (to encode later text the same way)"),
  device: z.string().optional(),
});

// -------------------------------------------------------------------------------------------
// cluster
// -------------------------------------------------------------------------------------------

const clusterParameters = z
  .strictObject({
    vectors: zVectors("embeddings").min(1, "must have at least one vector").describe("one embedding per row, all the same length (encode's vectors)"),
    k: count().optional().describe("number of clusters; chosen by silhouette in [kMin, kMax] when absent"),
    kMin: z.number().int().min(2, "must be 2 or more").default(2),
    kMax: z.number().int().min(2, "must be 2 or more").optional().describe("default: √n (at least 3, at most n/2), at most 20"),
    restarts: count().default(4).describe("k-means++ restarts; the best inertia is kept"),
    maxIterations: count().default(300),
    seed: z.number().int().optional(),
    silhouetteSample: count().default(1500).describe("points the silhouette is measured on"),
    terms: z
      .looseObject({
        texts: z.array(z.string(), { error: "must be an array of strings" }).describe("the texts behind the vectors, in the same order"),
        terms: z.array(z.string()).optional(),
        idf: zVector.optional(),
        tokenizer: zTokenizer.optional(),
      })
      .optional()
      .describe("the texts (and optionally a lexical model's vocabulary) to label clusters with their distinctive terms"),
    topTerms: count().default(8).describe("terms per cluster"),
    projection: z.enum(["pca", "umap", "auto"]).default("pca").describe("the 2-D plot: PCA (fast, the same in every engine), seeded UMAP (keeps neighbours; a tab's differs from Node's), or auto: UMAP up to umapMaxPoints"),
    umapMaxPoints: count().default(2000).describe("auto projection: PCA above this many points"),
    device: z.enum(["auto", "webgpu", "cpu"]).default("auto").describe("tabs only: k-means assignment on WebGPU when there is an adapter (same labels)"),
  })
  .superRefine((p, ctx) => {
    if (!Array.isArray(p.vectors)) return;
    const dim = p.vectors[0]?.length ?? 0;
    if (dim === 0) ctx.addIssue({ code: "custom", path: ["vectors", 0], message: "must not be empty" });
    const bad = p.vectors.findIndex((v) => v.length !== dim);
    if (dim > 0 && bad >= 0) ctx.addIssue({ code: "custom", path: ["vectors", bad], message: `has ${p.vectors[bad]!.length} number${p.vectors[bad]!.length === 1 ? "" : "s"}, the first vector ${dim}` });
    if (p.terms && Array.isArray(p.terms.texts) && p.terms.texts.length !== p.vectors.length) {
      ctx.addIssue({ code: "custom", path: ["terms", "texts"], message: `has ${p.terms.texts.length} texts for ${p.vectors.length} vectors` });
    }
    if (p.k !== undefined && p.k > p.vectors.length) ctx.addIssue({ code: "custom", path: ["k"], message: `is more than the ${p.vectors.length} vectors` });
  });

const clusterResult = z.object({
  k: z.number(),
  labels: z.array(z.number()).describe("the cluster of each vector"),
  inertia: z.number(),
  silhouette: z.number().describe("mean silhouette on the sample, -1..1"),
  kChosenBy: z.enum(["given", "silhouette"]),
  kCandidates: z.array(z.looseObject({ k: z.number(), silhouette: z.number() })),
  centroids: z.array(z.array(z.number())),
  projection: z.object({
    method: z.enum(["umap", "pca"]),
    points: z.array(z.tuple([z.number(), z.number()])),
    explained: z.tuple([z.number(), z.number()]).optional().describe("PCA: the fraction of the variance per axis"),
  }),
  clusters: z.array(z.object({ id: z.number(), size: z.number(), terms: z.array(z.object({ term: z.string(), score: z.number() })) })),
});

// -------------------------------------------------------------------------------------------
// train
// -------------------------------------------------------------------------------------------

const trainParameters = z
  .strictObject({
    embeddings: zVectors("embeddings").min(1, "must have at least one example").describe("one embedding per example, all the same length"),
    labels: z.array(z.string(), { error: "must be an array of strings" }).describe("one label per example; at least two classes"),
    model: z.enum(["logistic", "mlp"]).default("logistic").describe("softmax regression, or a one-hidden-layer MLP"),
    hidden: count().default(64).describe("hidden units of the MLP"),
    maxEpochs: count().default(200),
    batchSize: count().default(32),
    learningRate: z.number().positive("must be above 0").default(0.01),
    weightDecay: z.number().min(0, "must be 0 or more").default(1e-4),
    validationSplit: z.number().gt(0, "must be above 0").lt(1, "must be below 1").default(0.2).describe("fraction held out to choose the epoch"),
    patience: count().default(10).describe("epochs without a better validation loss before stopping"),
    minDelta: z.number().min(0).default(1e-4),
    seed: z.number().int().default(42),
  })
  .superRefine((p, ctx) => {
    if (!Array.isArray(p.labels) || !Array.isArray(p.embeddings)) return;
    if (p.labels.length !== p.embeddings.length) {
      ctx.addIssue({ code: "custom", path: ["labels"], message: `has ${p.labels.length} labels for ${p.embeddings.length} embeddings` });
    } else if (new Set(p.labels).size < 2) ctx.addIssue({ code: "custom", path: ["labels"], message: "must name at least two classes" });
  });

const trainResult = z.object({
  model: z.looseObject({ kind: z.enum(["logistic", "mlp"]), classes: z.array(z.string()), layers: z.array(z.unknown()) }),
  onnx: z.unknown().describe("the model as ONNX bytes (infer's model)"),
  history: z.array(z.object({ epoch: z.number(), loss: z.number(), accuracy: z.number(), valLoss: z.number(), valAccuracy: z.number() })),
  bestEpoch: z.number(),
  epochsRun: z.number(),
  stoppedEarly: z.boolean(),
  validation: z.object({ size: z.number(), loss: z.number(), accuracy: z.number() }),
});

// -------------------------------------------------------------------------------------------
// infer
// -------------------------------------------------------------------------------------------

const MODEL_SOURCES = ["model", "modelPath", "modelUrl", "modelResultId"] as const;

const inferParameters = z
  .strictObject({
    model: zBytes.optional().describe("classifier: the ONNX bytes from train (flow code only)"),
    modelPath: z.string().min(1).optional().describe("classifier, Node workers: an ONNX file on the worker's disk"),
    modelUrl: z.string().min(1).optional().describe("classifier, tabs: where the app serves the ONNX file (e.g. /models/x.onnx)"),
    modelResultId: z.string().min(1).optional().describe("classifier, tabs: the train run's result in Baton's blob store"),
    classes: z.array(z.string()).optional().describe("classifier: class names (default: from the model's metadata)"),
    embeddings: zVectors("embeddings").optional().describe("classifier: the embeddings to classify"),
    batchSize: count().default(1024).describe("classifier"),
    executionProviders: z.array(z.string()).optional().describe('classifier: ONNX Runtime providers, e.g. ["webgpu", "wasm"] in a tab'),
    pipeline: z
      .strictObject({
        task: z.string().min(1),
        model: z
          .union([z.string().min(1), z.strictObject({ runId: zUuid("a run's id") }), z.strictObject({ resultId: zUuid("a result's id") })], {
            error: "must be a folder of the models directory, { runId } (a run that exported a model) or { resultId } (that run's result)",
          })
          .describe("a folder of the models directory, or a model a run exported, fetched through Baton's API: { runId } of a process-pool training run (examples/train-pytorch) or { resultId } of its result"),
        options: z.record(z.string(), z.unknown()).optional(),
      })
      .optional()
      .describe("a Transformers.js pipeline (a models-directory folder, or a model a run exported) instead of a classifier"),
    inputs: z.array(z.string()).optional().describe("pipeline: its input texts"),
    options: z.record(z.string(), z.unknown()).optional().describe("pipeline: options of the call"),
  })
  .superRefine((p, ctx) => {
    const sources = MODEL_SOURCES.filter((k) => p[k] !== undefined);
    if (p.pipeline) {
      if (!p.inputs) ctx.addIssue({ code: "custom", path: ["inputs"], message: "is required with pipeline" });
      for (const k of [...sources, "embeddings" as const]) {
        if (p[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: "is for a classifier, not a pipeline" });
      }
      return;
    }
    if (sources.length === 0) ctx.addIssue({ code: "custom", path: ["model"], message: `give the classifier as ${MODEL_SOURCES.join(", ")} (or a pipeline)` });
    if (sources.length > 1) ctx.addIssue({ code: "custom", path: [sources[1]!], message: `give one of ${sources.join(", ")}` });
    if (!p.embeddings) ctx.addIssue({ code: "custom", path: ["embeddings"], message: "is required for a classifier" });
  });

const inferResult = z.union([
  z.object({
    kind: z.literal("classifier"),
    classes: z.array(z.string()),
    predictions: z.array(z.object({ label: z.string(), score: z.number(), probabilities: z.array(z.number()) })),
  }),
  z.object({ kind: z.literal("pipeline"), task: z.string(), outputs: z.unknown() }),
]);

// -------------------------------------------------------------------------------------------
// The list
// -------------------------------------------------------------------------------------------

const EXAMPLE_TEXTS = [
  "The cat sat on the mat.",
  "Dogs and cats are pets.",
  "Neural networks learn from data.",
  "Gradient descent trains the model.",
];

/** Keeps each kind's `runsOn` as its literal list, which `KindsOn` reads. */
function define<P extends z.ZodType, R extends z.ZodType, const O extends readonly KindRuntime[]>(
  kind: KindDefinition<P, R> & { runsOn: O },
): KindDefinition<P, R> & { runsOn: O } {
  return kind;
}

export const KINDS = {
  pdf: define({
    name: "pdf",
    summary: "A PDF's text, page by page, its metadata, and chunks ready to embed",
    description:
      "Reads a PDF with pdf.js: the text of each page in reading order, the title, author and language, and chunks of whole paragraphs (then sentences) of at most `chunk.size` characters or words, each starting with the end of the one before. A scanned (image-only) PDF is refused with a message saying it needs OCR.",
    parameters: pdfParameters,
    result: pdfResult,
    runsOn: ["tab", "node"],
    example: { url: "https://example.com/manual.pdf", chunk: { size: 800, overlap: 100 } },
  }),
  encode: define({
    name: "encode",
    summary: "Texts to embeddings: a Transformers.js model, or TF-IDF + LSA with no weights",
    description:
      "Embeds texts. With a transformer model (a folder under the models directory) it runs Transformers.js: WebGPU or WASM in a tab, the CPU on a Node worker. With none (or encoder: lexical) it fits TF-IDF + LSA on the texts themselves (at least 3 texts with words), so it works offline; the result's model encodes later texts the same way.",
    parameters: encodeParameters,
    result: encodeResult,
    runsOn: ["tab", "node"],
    example: { texts: EXAMPLE_TEXTS, encoder: "lexical", dimensions: 2 },
  }),
  cluster: define({
    name: "cluster",
    summary: "k-means over embeddings, k chosen by silhouette, a 2-D projection and cluster terms",
    description:
      "Clusters embeddings (encode's vectors) with k-means++ and restarts; k is given or chosen by silhouette in [kMin, kMax]. Returns each vector's label, the centroids, a 2-D PCA projection to plot, and, when terms.texts gives the texts behind the vectors, each cluster's most distinctive terms. It takes vectors, not texts: encode the texts first.",
    parameters: clusterParameters,
    result: clusterResult,
    runsOn: ["tab", "node"],
    example: {
      vectors: [
        [0, 0.1],
        [0.1, 0],
        [0.05, 0.05],
        [5, 5.1],
        [5.1, 5],
        [5.05, 4.95],
      ],
      k: 2,
      seed: 7,
      terms: { texts: ["cats purr", "cats nap", "cats purr and nap", "models train", "models learn", "models train and learn"] },
    },
    hints: {
      texts: "cluster takes embeddings: encode the texts first (kind:encode) and pass its vectors, with the texts as terms.texts to label the clusters",
      embeddings: "cluster calls them vectors",
    },
  }),
  train: define({
    name: "train",
    summary: "Fit a classifier head on embeddings (logistic or MLP) and export it as ONNX",
    description:
      "Trains softmax regression or a one-hidden-layer MLP on embeddings and labels with Adam, mini-batches, a held-out validation split and early stopping; keeps the epoch with the lowest validation loss and returns its weights, the loss and accuracy history, and an ONNX model that infer runs. Deterministic for a seed. Meant for Node and GPU pools, not tabs.",
    parameters: trainParameters,
    result: trainResult,
    runsOn: ["node", "gpu"],
    example: {
      embeddings: [
        [0, 0.1],
        [0.1, 0],
        [0.05, 0.05],
        [0.1, 0.1],
        [5, 5.1],
        [5.1, 5],
        [5.05, 4.95],
        [5.1, 5.1],
      ],
      labels: ["pets", "pets", "pets", "pets", "ml", "ml", "ml", "ml"],
      maxEpochs: 50,
      validationSplit: 0.25,
    },
    hints: { vectors: "train calls them embeddings" },
  }),
  infer: define({
    name: "infer",
    summary: "Run a classifier from train (ONNX) over embeddings, or a Transformers.js pipeline",
    description:
      "Classifies embeddings with a model train exported (ONNX Runtime: onnxruntime-node on a worker, onnxruntime-web in a tab), giving each a label, its score and every class's probability. The model comes as modelPath (Node), modelUrl or modelResultId (tabs) or bytes (flow code). Or, with pipeline, runs a Transformers.js pipeline over inputs: a model from the models directory, or one a run exported (pipeline.model { runId } of a process-pool training run such as examples/train-pytorch, or { resultId } of its result), fetched through Baton's API.",
    parameters: inferParameters,
    result: inferResult,
    runsOn: ["tab", "node"],
    example: { modelPath: "models/classifier.onnx", embeddings: [[0.1, 0.2]] },
    hints: { vectors: "infer calls them embeddings" },
  }),
} as const;

export type KindName = keyof typeof KINDS;
export type KindParameters<N extends KindName> = z.input<(typeof KINDS)[N]["parameters"]>;
export type KindResult<N extends KindName> = z.output<(typeof KINDS)[N]["result"]>;
/** The kinds that may run on a runtime: each runtime's implementation map is typed by it. */
export type KindsOn<R extends KindRuntime> = { [N in KindName]: R extends (typeof KINDS)[N]["runsOn"][number] ? N : never }[KindName];

export const KIND_NAMES: readonly KindName[] = Object.freeze(Object.keys(KINDS) as KindName[]);
export const KIND_PREFIX = "kind:";

export function isKindName(name: string): name is KindName {
  return Object.hasOwn(KINDS, name);
}

export function kindsOn(runtime: KindRuntime): KindName[] {
  return KIND_NAMES.filter((n) => (KINDS[n].runsOn as readonly KindRuntime[]).includes(runtime));
}

/** Not a kind: the message lists the kinds there are. */
export function unknownKindMessage(name: string): string {
  return `there is no task kind "${name}" (the kinds: ${KIND_NAMES.join(", ")}; see baton kind ls)`;
}

/** `kind:cluster` → "cluster"; any other entrypoint → undefined. */
export function kindOfEntrypoint(entrypoint: string | null | undefined): string | undefined {
  return entrypoint?.startsWith(KIND_PREFIX) ? entrypoint.slice(KIND_PREFIX.length) : undefined;
}

// -------------------------------------------------------------------------------------------
// Checking parameters
// -------------------------------------------------------------------------------------------

export class KindParameterError extends Error {
  override name = "KindParameterError";
  constructor(
    message: string,
    /** The first field at fault, e.g. "parameters.texts". */
    readonly field: string,
  ) {
    super(message);
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  return ["parameters", ...path.map(String)].join(".");
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) at = at !== null && typeof at === "object" ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  return at;
}

function issueLines(kind: KindDefinition, parameters: unknown, issues: readonly z.core.$ZodIssue[]): { field: string; line: string }[] {
  // The list of a kind's parameters once, after the first unknown one without a hint.
  let listed = false;
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => {
        const field = fieldPath([...issue.path, key]);
        const hint = issue.path.length === 0 ? kind.hints?.[key] : undefined;
        if (hint) return { field, line: `${field}: is not a parameter of ${kind.name}: ${hint}` };
        const known = issue.path.length === 0 && !listed ? ` (its parameters: ${Object.keys(objectShape(kind.parameters)).join(", ")})` : "";
        if (known) listed = true;
        return { field, line: `${field}: is not a parameter of ${kind.name}${known}` };
      });
    }
    const field = fieldPath(issue.path);
    const missing = issue.code === "invalid_type" && valueAt(parameters, issue.path) === undefined;
    const hint = missing && issue.path.length === 1 ? kind.hints?.[String(issue.path[0])] : undefined;
    return [{ field, line: `${field}: ${missing ? "is required" : issue.message}${hint ? ` (${hint})` : ""}` }];
  });
}

/**
 * Checks a run's parameters against its kind, before it runs. Throws KindParameterError naming
 * every field at fault ("parameters.vectors: is required; parameters.texts: is not a parameter
 * of cluster: …"); returns the parameters as given (the kind applies its own defaults, and a
 * typed array stays one).
 */
export function checkKindParameters<N extends KindName>(name: N, parameters: unknown): KindParameters<N> {
  const kind = KINDS[name] as KindDefinition;
  if (parameters === null || typeof parameters !== "object" || Array.isArray(parameters)) {
    throw new KindParameterError(`parameters: ${name} takes a JSON object of parameters`, "parameters");
  }
  const parsed = kind.parameters.safeParse(parameters);
  if (parsed.success) return parameters as KindParameters<N>;
  const lines = issueLines(kind, parameters, parsed.error.issues);
  throw new KindParameterError(`${name}: ${lines.map((l) => l.line).join("; ")}`, lines[0]?.field ?? "parameters");
}

// -------------------------------------------------------------------------------------------
// JSON schema and documentation
// -------------------------------------------------------------------------------------------

function objectShape(schema: z.ZodType): Record<string, z.ZodType> {
  const def = (schema as { _zod: { def: { type: string; shape?: Record<string, z.ZodType>; in?: z.ZodType } } })._zod.def;
  if (def.shape) return def.shape;
  return {};
}

/**
 * JSON schema (draft-07, what the server's Ajv reads) of a zod schema, as a client sends it:
 * defaults shown, fields with one optional. Custom values get their JSON form (`zVector` an
 * array of numbers; bytes nothing JSON can give).
 */
export function toKindJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, {
    target: "draft-7",
    io: "input",
    unrepresentable: "any",
    override: (ctx) => {
      const form = jsonForms.get(ctx.zodSchema as unknown as z.ZodType);
      if (form) Object.assign(ctx.jsonSchema, form);
    },
  }) as Record<string, unknown>;
  const { $schema: _drop, ...rest } = json;
  return rest;
}

export interface KindParameterDoc {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
  description?: string;
}

/** A JSON-schema node's type in words: "string", "integer ≥ 1", "array of numbers", "auto | webgpu | cpu". */
function typeOf(node: Record<string, unknown>): string {
  if (Array.isArray(node.enum)) return node.enum.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(" | ");
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.not && Object.keys(node.not as object).length === 0) return node["x-baton-bytes"] ? "bytes (flow code only)" : "never";
  const union = (node.anyOf ?? node.oneOf) as Record<string, unknown>[] | undefined;
  if (union) return union.map(typeOf).join(" or ");
  const type = node.type as string | undefined;
  if (type === "array") {
    const items = node.items as Record<string, unknown> | undefined;
    const inner = items ? typeOf(items) : "values";
    return `array of ${inner === "array of numbers" ? "arrays of numbers" : inner.replace(/^(number|string|integer|boolean|object)$/, "$1s")}`;
  }
  if (type === "integer" || type === "number") {
    const bounds: string[] = [];
    if (typeof node.minimum === "number" && node.minimum > Number.MIN_SAFE_INTEGER) bounds.push(`≥ ${node.minimum}`);
    if (typeof node.exclusiveMinimum === "number") bounds.push(`> ${node.exclusiveMinimum}`);
    if (typeof node.maximum === "number" && node.maximum < Number.MAX_SAFE_INTEGER) bounds.push(`≤ ${node.maximum}`);
    if (typeof node.exclusiveMaximum === "number") bounds.push(`< ${node.exclusiveMaximum}`);
    return [type, ...bounds].join(" ");
  }
  return type ?? "any";
}

/** The top-level parameters of a kind's JSON schema, for `baton kind inspect` and the /kinds page. */
export function describeParameters(jsonSchema: Record<string, unknown>): KindParameterDoc[] {
  const properties = (jsonSchema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((jsonSchema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, node]) => ({
    name,
    type: typeOf(node),
    required: required.has(name),
    ...(node.default !== undefined ? { default: node.default } : {}),
    ...(typeof node.description === "string" ? { description: node.description } : {}),
  }));
}

/** What the API serves about a kind: everything but the zod objects. */
export interface KindInfo {
  name: KindName;
  summary: string;
  description: string;
  runsOn: KindRuntime[];
  parameterSchema: Record<string, unknown>;
  resultSchema: Record<string, unknown>;
  example: Record<string, unknown>;
}

const infoCache = new Map<KindName, KindInfo>();

export function kindInfo(name: KindName): KindInfo {
  let info = infoCache.get(name);
  if (!info) {
    const kind = KINDS[name] as KindDefinition;
    info = {
      name,
      summary: kind.summary,
      description: kind.description,
      runsOn: [...kind.runsOn],
      parameterSchema: toKindJsonSchema(kind.parameters),
      resultSchema: toKindJsonSchema(kind.result),
      example: kind.example as Record<string, unknown>,
    };
    infoCache.set(name, info);
  }
  return info;
}
