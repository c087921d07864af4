#!/usr/bin/env bash
# bench:train on CUDA (issue 15, item 5): the PyTorch fine-tuning example bare against through
# Baton (a process pool worker, metrics streamed, checkpoints uploaded), same settings, same run,
# on a machine with an NVIDIA GPU, Node >= 20 and a pip-installed torch, but no network and no
# node_modules (the lent device machine).
#
#   bench/gpu-device.sh pack   here: bundle bench/train.ts and the CLI with esbuild, with PGlite's
#                              files, into .baton/gpu-bench/ (git-ignored, ~45 MB: carry it)
#   bench/gpu-device.sh        there, from the repository root: nvidia-smi, then bench:train on
#                              CUDA; figures to $OUT/gpu-bench.md (and the log to $OUT/gpu-bench.log)
#
# Settings: PYTHON (default python3), ROUNDS (3), STEPS (400), BATCH (64), HIDDEN (256), LAYERS (4),
# CHECKPOINT_EVERY (100; a checkpoint with AdamW's state is ~38 MB at 256 × 4, uploaded each time).
# Tried here without node_modules (a copy of the tracked tree + the pack, CPU, 20 steps): it runs.
# Device call: run(command="bash bench/gpu-device.sh", carry=[".baton/gpu-bench"], timeout_s=540)
set -euo pipefail
cd "$(dirname "$0")/.."
PACK=.baton/gpu-bench

if [ "${1:-}" = "pack" ]; then
  rm -rf "$PACK" && mkdir -p "$PACK/node_modules/@electric-sql"
  common=(--bundle --platform=node --format=esm --target=node20 --log-level=warning
    --external:onnxruntime-node --external:@huggingface/transformers --external:sharp --external:next
    --external:tsx --external:esbuild --external:@electric-sql/pglite
    "--banner:js=import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);")
  npx esbuild bench/train.ts "${common[@]}" --outfile="$PACK/bench-train.mjs"
  npx esbuild cli/main.ts "${common[@]}" --outfile="$PACK/baton.mjs"
  # PGlite stays a package: it loads its .wasm and .data beside its own modules.
  mkdir -p "$PACK/node_modules/@electric-sql/pglite"
  cp -r node_modules/@electric-sql/pglite/package.json node_modules/@electric-sql/pglite/dist "$PACK/node_modules/@electric-sql/pglite/"
  find "$PACK" -name '*.map' -delete
  # What the CLI imports statically but a process-pool worker never calls (encode's Transformers.js,
  # cli/bundle.ts's esbuild): stubs that say so if anything does.
  stub() { mkdir -p "$PACK/node_modules/$1" && echo "{\"name\": \"$1\", \"type\": \"module\", \"main\": \"index.js\"}" > "$PACK/node_modules/$1/package.json" && echo "$2" > "$PACK/node_modules/$1/index.js"; }
  stub @huggingface/transformers 'const no = () => { throw new Error("Transformers.js is not in the GPU bench pack"); }; export const env = { backends: { onnx: {} } }; export const pipeline = no;'
  stub esbuild 'export const build = () => { throw new Error("esbuild is not in the GPU bench pack"); };'
  du -sh "$PACK"
  exit 0
fi

OUT=${OUT:-/tmp/gpu-bench-out}
mkdir -p "$OUT"
[ -f "$PACK/bench-train.mjs" ] || { echo "no $PACK: run 'bench/gpu-device.sh pack' first and carry it" >&2; exit 2; }
PYTHON=${PYTHON:-$(command -v python3)}
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"
  node --version
  "$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
} 2>&1 | tee "$OUT/gpu-bench.log"

export BATON_PYTHON="$PYTHON" BATON_ROOT="$PWD" BATON_BENCH_WORKER_BIN="$PWD/$PACK/baton.mjs" NO_COLOR=1
node "$PACK/bench-train.mjs" --rounds "${ROUNDS:-3}" --steps "${STEPS:-400}" --batch "${BATCH:-64}" \
  --hidden "${HIDDEN:-256}" --layers "${LAYERS:-4}" --checkpoint-every "${CHECKPOINT_EVERY:-100}" \
  > "$OUT/gpu-bench.md" 2>> "$OUT/gpu-bench.log"
cat "$OUT/gpu-bench.md"
