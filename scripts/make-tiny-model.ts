/**
 * `npm run models:tiny [-- <out dir> [--shape mini]]`: writes models/tiny-bert, a tiny BERT-shaped ONNX encoder
 * with a WordPiece tokenizer, in the layout Transformers.js loads from a models directory:
 *
 *   tiny-bert/config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx
 *
 * The network here has no model hub, so tests and offline installs use this model through the
 * real loading code (Transformers.js's feature-extraction pipeline, ONNX Runtime Web). The output
 * is deterministic, so the committed files only change when this script does.
 *
 * `--shape mini` writes a MiniLM-sized one instead (384 wide, 6 layers, ~45 MB, not committed):
 * the encode benchmark needs a model whose compute dominates, as a real model's does.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildTinyBert, type TinyBertShape } from "./tiny-model/graph";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SHAPES: Record<string, TinyBertShape> = {
  tiny: { vocabSize: 0, hidden: 32, heads: 2, intermediate: 64, layers: 2, maxPositions: 128 },
  mini: { vocabSize: 0, hidden: 384, heads: 12, intermediate: 1536, layers: 6, maxPositions: 128 },
};

const SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
// Common English words, so ordinary sentences mostly become whole-word tokens; anything else
// splits into characters (every letter and digit has a "##" continuation piece) — never [UNK].
const WORDS = `the of and to in is was for on that with as by at from it an be are this or his which
not but had have has were her all their they one been who its also more first can new other would two
after some when out into time only about over most such there made up no these may than them many year
years she he we you your our my me him us data model models text page pages document file pdf word words
sentence sentences vector vectors embedding embeddings cluster clusters train training test run runs task
tasks flow flows worker workers browser tab server queue pool device gpu cpu memory fast slow small large
good bad cat cats dog dogs car cars city cities music book books food water fire earth light dark day night
house home school work world people man woman child children hand eye head life way place thing number part
red blue green yellow black white big little old young long short high low hot cold happy sad love hate
run running walk walking read reading write writing learn learning machine deep network neural language`
  .split(/\s+/)
  .filter(Boolean);
const CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".split("");
const PUNCT = ".,;:!?'\"()[]{}-_/\\@#$%&*+=<>~`^|".split("");

function vocabulary(): string[] {
  const tokens = [...SPECIAL, ...PUNCT, ...CHARS, ...CHARS.map((c) => `##${c}`), ...WORDS];
  return [...new Set(tokens)];
}

function tokenizerJson(vocab: string[]) {
  const id = (t: string) => vocab.indexOf(t);
  const special = (t: string) => ({ id: id(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const seq = (s: "A" | "B", typeId: number) => ({ Sequence: { id: s, type_id: typeId } });
  const tok = (t: string, typeId: number) => ({ SpecialToken: { id: t, type_id: typeId } });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map(special),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [tok("[CLS]", 0), seq("A", 0), tok("[SEP]", 0)],
      pair: [tok("[CLS]", 0), seq("A", 0), tok("[SEP]", 0), seq("B", 1), tok("[SEP]", 1)],
      special_tokens: Object.fromEntries(["[CLS]", "[SEP]"].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

export function writeModel(out: string, shapeName = "tiny"): void {
  const base = SHAPES[shapeName];
  if (!base) throw new Error(`Unknown shape "${shapeName}" (${Object.keys(SHAPES).join(", ")})`);
  const vocab = vocabulary();
  const shape = { ...base, vocabSize: vocab.length };
  fs.mkdirSync(path.join(out, "onnx"), { recursive: true });

  const json = (file: string, value: unknown) => fs.writeFileSync(path.join(out, file), `${JSON.stringify(value, null, 2)}\n`);
  json("config.json", {
    model_type: "bert",
    architectures: ["BertModel"],
    vocab_size: shape.vocabSize,
    hidden_size: shape.hidden,
    num_attention_heads: shape.heads,
    num_hidden_layers: shape.layers,
    intermediate_size: shape.intermediate,
    max_position_embeddings: shape.maxPositions,
    type_vocab_size: 2,
    hidden_act: "gelu",
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
  });
  json("tokenizer.json", tokenizerJson(vocab));
  json("tokenizer_config.json", {
    tokenizer_class: "BertTokenizer",
    do_lower_case: true,
    model_max_length: shape.maxPositions,
    cls_token: "[CLS]",
    sep_token: "[SEP]",
    pad_token: "[PAD]",
    unk_token: "[UNK]",
    mask_token: "[MASK]",
  });
  const onnx = buildTinyBert(shape);
  fs.writeFileSync(path.join(out, "onnx", "model.onnx"), onnx);
  console.log(`Wrote ${path.relative(process.cwd(), out) || out} (${shapeName}): vocab ${shape.vocabSize}, hidden ${shape.hidden}, ${shape.layers} layers, model.onnx ${(onnx.length / 1024).toFixed(0)} KiB`);
}

// Run as a script (not when the benchmark imports writeModel).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--shape");
  const shape = at >= 0 ? args.splice(at, 2)[1] : "tiny";
  writeModel(path.resolve(args[0] ?? path.join(ROOT, "models", "tiny-bert")), shape);
}
