/**
 * The PyTorch example deployed as the README says, with no git and no checkout on the worker:
 * `baton deploy --dir examples/train-pytorch` packs train.py and bert.py, and a process-pool
 * worker started in an empty directory fine-tunes (a few steps, Debian's python3-torch on the
 * CPU) from the unpacked folder, streams metrics, saves a checkpoint and exports the ONNX model.
 *
 * .ci/run installs python3-torch; outside CI, without it, the file is skipped with a message.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { isTerminalState } from "../../server/engine/state-types";
import { REPO_ROOT, useWorkerHarness, waitFor } from "./harness";

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"]).status === 0;
if (!hasTorch) {
  if (process.env.CI) throw new Error(`${PYTHON} cannot import torch: .ci/run should have installed Debian's python3-torch`);
  console.warn(`SKIPPED test/worker/train-pytorch-deployed.test.ts: ${PYTHON} cannot import torch (apt-get install -y python3-torch)`);
}

describe.skipIf(!hasTorch)("the PyTorch example deployed with baton deploy --dir", () => {
  const h = useWorkerHarness();

  it("fine-tunes and exports from the deployed folder on a worker that has none of its files", async () => {
    // The model stays on the worker's machine: its path is the pool's (or the run's) to give.
    await h.client.workPools.create.mutate({ name: "gpu", type: "process", baseJobTemplate: { command: [PYTHON, "train.py"], env: { BATON_MODEL_DIR: path.join(REPO_ROOT, "models", "tiny-bert") } } });
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, "bin/baton.mjs"), "deploy", "--dir", "examples/train-pytorch", "--flow", "fine-tune", "-n", "docs", "-p", "gpu"], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1", BATON_API_URL: h.apiUrl },
    });
    expect(stdout).toMatch(/code: sha256:[0-9a-f]{12} \(a directory of \d+ files/);
    expect((await h.client.deployments.get.query({ deployment: "fine-tune/docs" })).code?.files).toEqual(expect.arrayContaining(["bert.py", "train.py"]));

    const worker = h.startWorker(["-p", "gpu", "--name", "gpu-1"], {}, mkdtempSync(path.join(os.tmpdir(), "baton-empty-")));
    await h.waitForWorker(worker);
    const texts = ["cat dog food", "gpu memory server", "love the house", "data model queue"];
    const run = await h.client.deployments.run.mutate({ deployment: "fine-tune/docs", parameters: { texts, labels: ["pets", "compute", "pets", "compute"], steps: 4, batch_size: 4, log_every: 2, checkpoint_every: 2 } });
    const done = await waitFor(async () => {
      const r = await h.client.flowRuns.get.query({ id: run.id });
      return isTerminalState(r.stateType) ? r : undefined;
    }, 150_000);
    const logs = (await h.client.logs.list.query({ flowRunId: run.id })).items.map((l) => l.message);
    expect(done.stateType, logs.join("\n")).toBe("COMPLETED");
    expect(logs).toContain(`code: the directory deployed as ${run.codeVersion!.slice(0, 19)}`);
    expect(logs.some((l) => /^metric loss=/.test(l))).toBe(true);
    expect(logs.some((l) => /^checkpoint checkpoint\.pt saved/.test(l))).toBe(true);
    const result = await h.client.results.ofRun.query({ flowRunId: run.id });
    expect(Object.keys((result!.value as { outputs: Record<string, string> }).outputs)).toContain("model/onnx/model.onnx");
  }, 180_000);
});
