/**
 * A worker's GPUs as slots: each run that requires a GPU (`requirements.gpu: true`) gets one GPU
 * of its own for as long as it runs, named to its process by CUDA_VISIBLE_DEVICES. The server's
 * claim hands a worker that reports `gpus: N` at most N such runs at once
 * (server/engine/sql/claim-flow-runs.ts); this picks which GPU each one gets.
 *
 * The devices are the worker's own CUDA_VISIBLE_DEVICES when it was started with one (a machine
 * shared out by GPU: "2,3" gives runs "2" and "3"), else 0..N-1 in nvidia-smi's order.
 */
export class GpuSlots {
  private readonly free: string[];
  private readonly held = new Map<string, string>();

  constructor(readonly devices: readonly string[]) {
    this.free = [...devices];
  }

  /** From the worker's capabilities (`gpus`) and environment (CUDA_VISIBLE_DEVICES). */
  static of(capabilities: Record<string, unknown>, env: Record<string, string | undefined> = process.env): GpuSlots {
    const count = typeof capabilities.gpus === "number" && capabilities.gpus >= 1 ? Math.floor(capabilities.gpus) : 0;
    const visible = env.CUDA_VISIBLE_DEVICES?.split(",").map((s) => s.trim()).filter(Boolean);
    const devices = visible?.length ? visible.slice(0, count || visible.length) : Array.from({ length: count }, (_, i) => String(i));
    return new GpuSlots(count ? devices : []);
  }

  /** A free GPU for the run (the lowest first), or undefined when none is free. Idempotent per run. */
  take(runId: string): string | undefined {
    const had = this.held.get(runId);
    if (had !== undefined) return had;
    const device = this.free.shift();
    if (device !== undefined) this.held.set(runId, device);
    return device;
  }

  release(runId: string): void {
    const device = this.held.get(runId);
    if (device === undefined) return;
    this.held.delete(runId);
    // Back in device order, so the next run gets the lowest free one.
    this.free.push(device);
    this.free.sort((a, b) => this.devices.indexOf(a) - this.devices.indexOf(b));
  }
}

/** Whether a run needs a GPU slot. */
export function requiresGpu(requirements: Record<string, unknown> | null | undefined): boolean {
  return requirements?.gpu === true;
}

const perCapabilities = new WeakMap<object, GpuSlots>();

/** The worker's slots, one set per capabilities object (one per worker process: its registration's). */
export function gpuSlotsFor(capabilities: Record<string, unknown>): GpuSlots {
  let slots = perCapabilities.get(capabilities);
  if (!slots) perCapabilities.set(capabilities, (slots = GpuSlots.of(capabilities)));
  return slots;
}
