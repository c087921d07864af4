/**
 * Checkpoints of a `process` pool's run, so a training job survives a crash, a kill or a lost
 * worker: the job writes files into BATON_CHECKPOINT_DIR (whole, then renamed: a name ending in
 * `.tmp` or starting with `.` is never read), the worker uploads each new or changed one as a
 * blob result with an artifact of type `checkpoint` on the run, looking every few seconds and
 * once more when the job has exited. A later attempt of the same run (a retry after a crash, a
 * run lazarus rescheduled, a worker that took it over) finds the run's newest checkpoints, puts
 * them back in its checkpoint directory and names the newest file in BATON_RESUME_FROM.
 */
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ClaimedRun, WorkerRuntime } from "./types";
import { uploadResult } from "../../server/client";

export const CHECKPOINT_ARTIFACT = "checkpoint";

interface CheckpointData {
  path: string;
  resultId: string;
  sizeBytes: number;
  sha256?: string;
}

/** Puts the run's newest checkpoint files back into `dir`; returns the newest one's path, if any. */
export async function restoreCheckpoints(run: ClaimedRun, dir: string, rt: WorkerRuntime): Promise<string | undefined> {
  const artifacts = await rt.client.artifacts.list.query({ flowRunId: run.id, limit: 1000 });
  // Newest first: the first artifact for each path is that file's last version.
  const newest = new Map<string, CheckpointData>();
  for (const a of artifacts) {
    const data = a.data as Partial<CheckpointData> | null;
    if (a.type !== CHECKPOINT_ARTIFACT || !data?.path || !data.resultId || newest.has(data.path)) continue;
    newest.set(data.path, data as CheckpointData);
  }
  let first: string | undefined;
  for (const data of newest.values()) {
    const file = path.resolve(dir, data.path);
    if (!file.startsWith(dir + path.sep)) continue;
    const blob = await rt.client.results.get.query({ id: data.resultId, includeData: true });
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, Buffer.from(blob.base64 ?? "", "base64"));
    first ??= file;
  }
  return first;
}

/**
 * Uploads the checkpoint directory's new and changed files every `intervalMs` until stopped;
 * `finish()` stops the loop and uploads what changed since its last look.
 */
export function watchCheckpoints(run: ClaimedRun, dir: string, rt: WorkerRuntime, intervalMs: number) {
  const seen = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let pass: Promise<void> = Promise.resolve();

  const look = async () => {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || entry.name.startsWith(".") || entry.name.endsWith(".tmp")) continue;
      const file = path.join(entry.parentPath, entry.name);
      const rel = path.relative(dir, file);
      const info = await stat(file).catch(() => undefined);
      if (!info) continue;
      const version = `${info.mtimeMs}:${info.size}`;
      if (seen.get(rel) === version) continue;
      try {
        const bytes = await readFile(file);
        const result = await uploadResult(rt.client, bytes, { flowRunId: run.id, leaseToken: run.leaseToken, mediaType: "application/octet-stream" });
        await rt.client.artifacts.create.mutate({
          flowRunId: run.id,
          leaseToken: run.leaseToken,
          type: CHECKPOINT_ARTIFACT,
          description: rel,
          data: { path: rel, resultId: result.id, sizeBytes: bytes.byteLength, sha256: result.sha256 ?? undefined } satisfies CheckpointData,
        });
        seen.set(rel, version);
        rt.shipper.log({ flowRunId: run.id, level: 20, message: `checkpoint ${rel} saved (${bytes.byteLength} bytes, result ${result.id})` });
      } catch (err) {
        rt.shipper.log({ flowRunId: run.id, level: 30, message: `could not save checkpoint ${rel} (will try again): ${(err as Error).message}` });
      }
    }
  };
  const tick = () => {
    pass = look().finally(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  return {
    /** Files already in the directory (restored ones) are not uploaded again. */
    async start() {
      for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        const info = await stat(file);
        seen.set(path.relative(dir, file), `${info.mtimeMs}:${info.size}`);
      }
      timer = setTimeout(tick, intervalMs);
    },
    async finish() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await pass;
      await look();
    },
  };
}
