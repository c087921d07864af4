/**
 * What this machine offers, sent at registration: the claim query only hands a worker runs
 * whose `requirements` its capabilities meet (a GPU run never lands on a CPU-only worker).
 */
import { execFile } from "node:child_process";
import os from "node:os";
import { promisify } from "node:util";

export interface GpuInfo {
  name: string;
  memoryGb: number;
}

/** GPUs from `nvidia-smi`, or none when it is absent or fails (no driver, no device). */
export async function detectGpus(): Promise<GpuInfo[]> {
  try {
    const { stdout } = await promisify(execFile)("nvidia-smi", ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"], { timeout: 5000 });
    return stdout
      .split("\n")
      .map((line) => line.split(",").map((s) => s.trim()))
      .filter(([name, mib]) => name && mib && Number.isFinite(Number(mib)))
      .map(([name, mib]) => ({ name: name!, memoryGb: Math.round((Number(mib) / 1024) * 10) / 10 }));
  } catch {
    return [];
  }
}

export async function detectCapabilities(overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const gpus = await detectGpus();
  return {
    runtime: "node",
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    cores: os.availableParallelism(),
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    gpu: gpus.length > 0,
    gpus: gpus.length,
    ...(gpus.length ? { gpuList: gpus, gpuMemoryGb: Math.max(...gpus.map((g) => g.memoryGb)) } : {}),
    ...overrides,
  };
}
