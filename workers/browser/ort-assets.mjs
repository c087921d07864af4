/**
 * ONNX Runtime Web's WASM pair (.mjs loader + .wasm binary) served by the app from the very copy
 * Transformers.js imports, never from a CDN: the versions must match byte for byte, pages under
 * COEP may not load cross-origin, and offline installs have no CDN at all.
 *
 * next.config.js calls this whenever Next loads its config (build, start, dev), copying the pair
 * into public/ort/ when missing or changed; public/ort/ is ignored by git (27 MB). pdf.js's worker
 * script goes to public/pdfjs/ the same way: inside Baton's own Web Worker pdf.js runs its "fake
 * worker" on the same thread, but still imports `workerSrc`.
 */
import fs from "node:fs";
import path from "node:path";

/** Transformers.js 4.3 runs ORT's WebGPU build, whose loader is the "asyncify" variant. */
export const ORT_FILES = ["ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm"];

const COPIES = [
  { from: ["onnxruntime-web", "dist"], to: "ort", files: ORT_FILES },
  { from: ["pdfjs-dist", "build"], to: "pdfjs", files: ["pdf.worker.min.mjs"] },
];

export function copyOrtAssets(root) {
  for (const copy of COPIES) copyFiles(path.join(root, "node_modules", ...copy.from), path.join(root, "public", copy.to), copy.files);
}

function copyFiles(from, to, files) {
  fs.mkdirSync(to, { recursive: true });
  for (const file of files) {
    const src = path.join(from, file);
    const dst = path.join(to, file);
    const same = fs.existsSync(dst) && fs.statSync(dst).size === fs.statSync(src).size && fs.statSync(dst).mtimeMs >= fs.statSync(src).mtimeMs;
    if (!same) fs.copyFileSync(src, dst);
  }
}
