/**
 * Writes a trained classifier head as an ONNX model (opset 13) that ONNX Runtime — onnxruntime-node
 * on a worker, onnxruntime-web in a tab — runs as it is: input "embeddings" [batch, dim] float32,
 * output "probabilities" [batch, classes], ops MatMul, Add, Relu, Softmax. The class names and
 * the model kind travel inside the file (metadata_props), so a model is one self-describing blob.
 */
import type { ClassifierModel } from "../train/model";
import { ATTRIBUTE_INT, ModelProto, ONNX_FLOAT } from "./schema";

export const INPUT_NAME = "embeddings";
export const OUTPUT_NAME = "probabilities";
/** ONNX IR version 8 (ONNX 1.10): opset 13 needs at least 7; every current runtime reads 8. */
const IR_VERSION = 8;
const OPSET = 13;

function floatTensor(name: string, dims: number[], values: Float32Array) {
  // raw_data is little-endian float32; a copy so the tensor owns exactly its bytes.
  const bytes = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  return { name, dims, dataType: ONNX_FLOAT, rawData: bytes };
}

const valueInfo = (name: string, dims: (number | string)[]) => ({
  name,
  type: {
    tensorType: {
      elemType: ONNX_FLOAT,
      shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

export interface ExportOptions {
  name?: string;
  /** Extra key/value pairs for metadata_props (e.g. the encoder the embeddings came from). */
  metadata?: Record<string, string>;
}

export function exportClassifierOnnx(model: ClassifierModel, opts: ExportOptions = {}): Uint8Array {
  const nodes: object[] = [];
  const initializer: object[] = [];
  let current = INPUT_NAME;
  model.layers.forEach((layer, l) => {
    const last = l === model.layers.length - 1;
    initializer.push(floatTensor(`W${l}`, [layer.inputs, layer.outputs], layer.weight));
    initializer.push(floatTensor(`b${l}`, [layer.outputs], layer.bias));
    nodes.push({ opType: "MatMul", name: `matmul${l}`, input: [current, `W${l}`], output: [`xw${l}`] });
    const sum = last ? "logits" : `z${l}`;
    nodes.push({ opType: "Add", name: `add${l}`, input: [`xw${l}`, `b${l}`], output: [sum] });
    current = sum;
    if (!last) {
      nodes.push({ opType: "Relu", name: `relu${l}`, input: [sum], output: [`h${l}`] });
      current = `h${l}`;
    }
  });
  nodes.push({
    opType: "Softmax",
    name: "softmax",
    input: [current],
    output: [OUTPUT_NAME],
    attribute: [{ name: "axis", i: -1, type: ATTRIBUTE_INT }],
  });
  const dim = model.layers[0]!.inputs;
  const message = ModelProto.fromObject({
    irVersion: IR_VERSION,
    producerName: "baton",
    producerVersion: "1",
    opsetImport: [{ domain: "", version: OPSET }],
    metadataProps: [
      { key: "baton.kind", value: model.kind },
      { key: "baton.classes", value: JSON.stringify(model.classes) },
      ...Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    ],
    graph: {
      name: opts.name ?? `baton-${model.kind}-classifier`,
      node: nodes,
      initializer,
      input: [valueInfo(INPUT_NAME, ["batch", dim])],
      output: [valueInfo(OUTPUT_NAME, ["batch", model.classes.length])],
    },
  });
  return ModelProto.encode(message).finish();
}

/** Reads metadata_props back (class names, kind, …) from an ONNX file's bytes. */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const decoded = ModelProto.toObject(ModelProto.decode(bytes), { defaults: false }) as {
    metadataProps?: { key: string; value: string }[];
  };
  return Object.fromEntries((decoded.metadataProps ?? []).map((p) => [p.key, p.value]));
}

/** The class names a Baton-exported classifier carries. */
export function readClassifierClasses(bytes: Uint8Array): string[] | null {
  const raw = readOnnxMetadata(bytes)["baton.classes"];
  return raw ? (JSON.parse(raw) as string[]) : null;
}
