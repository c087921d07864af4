"""Fine-tunes a small BERT encoder with a classification head, as a Baton process-pool job.

Parameters (BATON_PARAMETERS, JSON): texts + labels (or data_file: JSON lines {"text", "label"}),
model_dir (a local model: config.json + tokenizer.json, optionally pytorch_model.bin; default
the project's models/tiny-bert), steps, batch_size, lr, max_length, seed, checkpoint_every,
log_every, journal (a file to append start/checkpoint/end lines to, for audits), export (true:
write the ONNX model), predict (texts: PyTorch's logits for them go to predictions.json).

What it speaks of Baton's process protocol:
- `BATON_METRIC {...}` lines: loss, accuracy, samples_per_s (and gpu_memory_mb on CUDA) every
  log_every steps; train_samples_per_s (and per CPU-second) over the whole loop at the end.
- checkpoints into BATON_CHECKPOINT_DIR every checkpoint_every steps (and on SIGTERM), written
  whole then renamed, so the worker never uploads half a file; a retried run gets the last one
  back as BATON_RESUME_FROM and goes on from its step.
- the exported model into BATON_OUTPUT_DIR/model/ in the layout Transformers.js and ONNX Runtime
  Web load (config.json with id2label, tokenizer files, onnx/model.onnx).
CUDA with bf16 autocast and TF32 when present, else the CPU.
"""
import contextlib
import json
import os
import random
import shutil
import signal
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert import WordPiece, load_model_dir  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULTS = {"steps": 100, "batch_size": 16, "lr": 5e-4, "max_length": 64, "seed": 0, "checkpoint_every": 20, "log_every": 5, "export": True}


def parameters():
    raw = os.environ.get("BATON_PARAMETERS") or "{}"
    p = {**DEFAULTS, **json.loads(raw)}
    if "data_file" in p:
        with open(p["data_file"]) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        p["texts"], p["labels"] = [r["text"] for r in rows], [str(r["label"]) for r in rows]
    if not p.get("texts") or len(p["texts"]) != len(p.get("labels") or []):
        sys.exit("train.py: give texts and labels of the same length (or data_file)")
    p.setdefault("model_dir", os.environ.get("BATON_MODEL_DIR") or os.path.join(HERE, "..", "..", "models", "tiny-bert"))
    return p


def metric(name, value, step):
    print("BATON_METRIC " + json.dumps({"name": name, "value": float(value), "step": step}), flush=True)


class Journal:
    def __init__(self, path):
        self.path = path

    def write(self, **entry):
        if self.path:
            with open(self.path, "a") as f:
                f.write(json.dumps({**entry, "pid": os.getpid()}) + "\n")


def save_checkpoint(directory, step, model, optimizer, classes):
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    final = os.path.join(directory, "checkpoint.pt")
    tmp = final + ".tmp"
    torch.save({"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "classes": classes, "rng": torch.get_rng_state()}, tmp)
    os.replace(tmp, final)


def export_onnx(out_dir, model, config, classes, tok, p):
    """The layout Transformers.js loads from a models directory: <dir>/config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx."""
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    model.eval()
    ids, mask, types = tok.encode(["an example sentence for the export"])
    torch.onnx.export(
        model.cpu().float(),
        (ids, mask, types),
        os.path.join(out_dir, "onnx", "model.onnx"),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ["input_ids", "attention_mask", "token_type_ids"]} | {"logits": {0: "batch"}},
        opset_version=14,
    )
    exported = {**config, "architectures": ["BertForSequenceClassification"], "id2label": {str(i): c for i, c in enumerate(classes)}, "label2id": {c: i for i, c in enumerate(classes)}}
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(exported, f, indent=2)
    for name in ["tokenizer.json", "tokenizer_config.json"]:
        shutil.copy(os.path.join(p["model_dir"], name), os.path.join(out_dir, name))


def main():
    p = parameters()
    journal = Journal(p.get("journal"))
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    classes = sorted(set(p["labels"]))
    tok = WordPiece(p["model_dir"], p["max_length"])
    config, model, pretrained = load_model_dir(p["model_dir"], len(classes), p["seed"])
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=p["lr"])
    start = 0
    resume = os.environ.get("BATON_RESUME_FROM")
    if resume and os.path.exists(resume):
        state = torch.load(resume, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        start = state["step"]
        if state["classes"] != classes:
            sys.exit(f"train.py: the checkpoint's classes {state['classes']} are not this run's {classes}")
    print(f"start step={start} of {p['steps']} on {device} ({'pretrained weights' if pretrained else 'weights initialised here'}, {len(p['texts'])} examples, {len(classes)} classes)", flush=True)
    journal.write(event="start", step=start)

    stopping = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
    label_ids = torch.tensor([classes.index(label) for label in p["labels"]])
    rng = random.Random(p["seed"])
    order = list(range(len(p["texts"])))
    step, seen, window_start, last_loss = start, 0, time.perf_counter(), None
    loop_start, loop_cpu, trained = window_start, time.process_time(), 0
    model.train()
    while step < p["steps"] and not stopping["now"]:
        # The batch of a step depends on the step alone, so a resumed run sees what it would have.
        rng.seed(p["seed"] * 1_000_003 + step)
        batch = [order[rng.randrange(len(order))] for _ in range(p["batch_size"])]
        ids, mask, types = (t.to(device) for t in tok.encode([p["texts"][i] for i in batch]))
        target = label_ids[batch].to(device)
        with (torch.autocast(device_type="cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext()):
            logits = model(ids, mask, types)
            loss = torch.nn.functional.cross_entropy(logits.float(), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        seen += len(batch)
        trained += len(batch)
        if step % p["log_every"] == 0 or step == p["steps"]:
            last_loss = loss.item()
            now = time.perf_counter()
            metric("loss", last_loss, step)
            metric("accuracy", (logits.argmax(-1) == target).float().mean().item(), step)
            metric("samples_per_s", seen / (now - window_start), step)
            if cuda:
                metric("gpu_memory_mb", torch.cuda.max_memory_allocated() / 2**20, step)
            seen, window_start = 0, now
        if p["checkpoint_every"] and step % p["checkpoint_every"] == 0:
            save_checkpoint(os.environ.get("BATON_CHECKPOINT_DIR"), step, model, optimizer, classes)
            journal.write(event="checkpoint", step=step)

    if trained:
        # This attempt's throughput over the whole loop (checkpoints included): what bench/train.ts compares.
        metric("train_samples_per_s", trained / (time.perf_counter() - loop_start), step)
        # Per second of this process's CPU: what a loaded, shared machine changes least.
        metric("train_samples_per_cpu_s", trained / (time.process_time() - loop_cpu), step)
    if stopping["now"]:
        save_checkpoint(os.environ.get("BATON_CHECKPOINT_DIR"), step, model, optimizer, classes)
        journal.write(event="stopped", step=step)
        print(f"SIGTERM: saved a last checkpoint at step {step}", flush=True)
        sys.exit(143)
    if p.get("predict") and os.environ.get("BATON_OUTPUT_DIR"):
        # PyTorch's own logits for these texts, one at a time (as a pipeline sees them): what the exported model must reproduce.
        model.eval()
        with torch.no_grad():
            logits = [model(*(t.to(device) for t in tok.encode([text])))[0].float().tolist() for text in p["predict"]]
        with open(os.path.join(os.environ["BATON_OUTPUT_DIR"], "predictions.json"), "w") as f:
            json.dump({"classes": classes, "texts": p["predict"], "logits": logits}, f)
    if p["export"] and os.environ.get("BATON_OUTPUT_DIR"):
        export_onnx(os.path.join(os.environ["BATON_OUTPUT_DIR"], "model"), model, config, classes, tok, p)
        print("exported model/ (onnx/model.onnx, config.json, tokenizer.json, tokenizer_config.json)", flush=True)
    journal.write(event="end", step=step, loss=last_loss)


if __name__ == "__main__":
    main()
