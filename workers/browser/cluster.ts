/**
 * The cluster kind in a browser tab: the shared cluster code with its k-means assignment step on
 * WebGPU when the browser offers an adapter, on the CPU otherwise. The GPU kernel gives the CPU
 * path's labels exactly (see kmeans-webgpu.ts), so the device changes the speed, not the
 * clusters — which is also why any WebGPU failure mid-run can simply continue on the CPU.
 *
 * `device` picks: "auto" (default: WebGPU if there is an adapter), "webgpu" (the same, but a
 * missing adapter is a warning) or "cpu".
 */
import { clusterVectors, toMatrix, type ClusterParams, type ClusterResult } from "../kinds/cluster";
import { assign as cpuAssign, type AssignFn } from "../kinds/kmeans-assign";
import { defaultKMax } from "../kinds/silhouette";
import type { TaskContext, TaskKind } from "../kinds/types";
import { createWebGpuAssign, type WebGpuAssign } from "./kmeans-webgpu";
import { navigatorGpu, type GpuDevice } from "./webgpu-types";

export type BrowserClusterParams = ClusterParams & { device?: "auto" | "webgpu" | "cpu" };

/** The most centroids a run will ask about: k, or the top of chooseK's default range. */
function expectedMaxK(params: Omit<ClusterParams, "vectors">, n: number): number {
  return params.k ?? params.kMax ?? defaultKMax(n, params.kMin ?? 2);
}

async function openDevice(ctx: TaskContext, wanted: string): Promise<{ device: GpuDevice; adapter: string } | undefined> {
  const adapter = await navigatorGpu()?.requestAdapter().catch(() => null);
  if (!adapter) {
    ctx.log(wanted === "webgpu" ? "warn" : "info", "No WebGPU adapter in this browser; k-means runs on the CPU");
    return undefined;
  }
  // The adapter's own maxima: the defaults (128 MiB per binding) would cap the points early.
  const device = await adapter.requestDevice({
    label: "baton k-means",
    requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
  });
  const info = adapter.info;
  return { device, adapter: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(" ") || "unnamed adapter" };
}

export const browserCluster: TaskKind<BrowserClusterParams, ClusterResult> = async (params, ctx) => {
  const { vectors: _vectors, device: wanted = "auto", ...rest } = params;
  const { points, dim } = toMatrix(params.vectors);
  const n = points.length / dim;
  const maxK = expectedMaxK(rest, n);

  let gpu: { device: GpuDevice; kernels: Map<Float32Array, Promise<WebGpuAssign>> } | undefined;
  // One kernel (and upload) per points array: choosing k on a sample clusters a second array.
  const kernelFor = (pts: Float32Array) => {
    let kernel = gpu!.kernels.get(pts);
    if (!kernel) gpu!.kernels.set(pts, (kernel = createWebGpuAssign(gpu!.device, pts, dim, maxK)));
    return kernel;
  };
  const release = async () => {
    if (!gpu) return;
    const { device, kernels } = gpu;
    gpu = undefined;
    for (const kernel of kernels.values()) (await kernel.catch(() => undefined))?.destroy();
    device.destroy();
  };
  const fallBack = async (err: unknown) => {
    ctx.log("warn", `WebGPU k-means failed (${(err as Error).message}); continuing on the CPU, which gives the same clusters`);
    await release();
    ctx.device = "cpu";
  };

  if (wanted !== "cpu") {
    try {
      const opened = await openDevice(ctx, wanted);
      if (opened) {
        gpu = { device: opened.device, kernels: new Map() };
        await kernelFor(points);
        ctx.log("info", `WebGPU adapter: ${opened.adapter}`);
      }
    } catch (err) {
      await fallBack(err);
    }
  }
  ctx.device = gpu ? "webgpu" : "cpu";
  ctx.log("info", `clustering ${n} vectors of ${dim} dimensions; k-means assignment on ${ctx.device}`);

  const assign: AssignFn = async (pts, centroids, d) => {
    if (gpu) {
      try {
        return await (await kernelFor(pts)).assign(centroids);
      } catch (err) {
        // The labels so far are the CPU's own, so the run goes on there unchanged.
        await fallBack(err);
      }
    }
    return cpuAssign(pts, centroids, d);
  };

  try {
    // Without a GPU the shared code's own iterations (Elkan's bounds) are the fast CPU path; they
    // give the labels Lloyd with cpuAssign would, so the GPU's fallback can still use cpuAssign.
    const result = await clusterVectors(points, dim, rest, ctx, gpu ? assign : undefined);
    if (gpu) {
      let assigned = 0;
      let settled = 0;
      for (const kernel of gpu.kernels.values()) {
        const { stats } = await kernel;
        assigned += stats.assigned;
        settled += stats.settledOnCpu;
      }
      ctx.log("info", `k-means on WebGPU: ${assigned} point assignments, ${settled} near ties settled on the CPU`);
    }
    return result;
  } finally {
    await release();
  }
};
