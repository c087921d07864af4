/**
 * The k-means assignment step on WebGPU: one invocation per point computes its squared distance
 * to every centroid in f32 and writes the nearest centroid's index.
 *
 * It must give exactly the CPU path's labels (workers/kinds/kmeans-assign.ts: Float64 sums,
 * ties to the lower index), or the two devices would cluster the same data differently. f32
 * cannot promise that on its own, so the kernel also checks how close the runner-up is: when
 * the two smallest distances are within f32's rounding error of each other (a tie or a near
 * tie), it writes -1 and that point is settled on the CPU with the CPU's own code. Everything
 * else is decided by a margin larger than any rounding, so both paths agree point for point.
 *
 * Buffers live as long as the factory's result: the points go up once, the centroids (and k)
 * once per Lloyd iteration, and the labels come back through a mapped staging buffer.
 */
import { assign as cpuAssign } from "../kinds/kmeans-assign";
import { BUFFER_USAGE, MAP_MODE_READ, type GpuBindGroup, type GpuBuffer, type GpuComputePipeline, type GpuDevice } from "./webgpu-types";

const WORKGROUP_SIZE = 64;
// The largest f32, exactly (a decimal literal past it would be a shader-creation error).
const F32_MAX = "0x1.fffffep+127f";

const SHADER = /* wgsl */ `
struct Params { n: u32, dim: u32, k: u32, tolerance: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read> centroids: array<f32>;
@group(0) @binding(3) var<storage, read_write> labels: array<i32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  // Two-dimensional dispatch: one dimension holds at most 65535 workgroups.
  let i = gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u;
  if (i >= params.n) { return; }
  let p = i * params.dim;
  var best = 0u;
  var bestDist = ${F32_MAX};
  var second = ${F32_MAX};
  for (var c = 0u; c < params.k; c++) {
    let q = c * params.dim;
    var d = 0.0;
    for (var j = 0u; j < params.dim; j++) {
      let diff = points[p + j] - centroids[q + j];
      d += diff * diff;
    }
    // Strictly less: an equal distance keeps the lower index (and counts as a tie below).
    if (d < bestDist) {
      second = bestDist;
      bestDist = d;
      best = c;
    } else if (d < second) {
      second = d;
    }
  }
  // Written as "not clearly apart" so that a NaN or an overflow also goes to the CPU; the
  // absolute floor covers distances small enough to be flushed as subnormals.
  let apart = second - bestDist > params.tolerance * second + 1e-30;
  labels[i] = select(-1, i32(best), apart);
}
`;

/**
 * How far apart two f32 distances must be to be ordered as the Float64 ones are. Each distance
 * is a sum of `dim` non-negative squares of rounded differences: its relative error is at most
 * about (dim + 3) units of 2^-24; two of them, with a factor of 4 to spare for implementations
 * that round less carefully (software adapters, fused multiply-adds).
 */
export function tieTolerance(dim: number): number {
  return 8 * (dim + 3) * 2 ** -24;
}

export interface WebGpuAssign {
  /** Labels for these centroids (k = centroids.length / dim), as the CPU path would give. */
  assign(centroids: Float32Array): Promise<Int32Array>;
  /** Point assignments made so far, and those settled on the CPU as (near) ties on the GPU. */
  readonly stats: { assigned: number; settledOnCpu: number };
  destroy(): void;
}

/** Runs `work` and throws the first validation or out-of-memory error WebGPU reports for it. */
async function checked<T>(device: GpuDevice, work: () => T): Promise<T> {
  device.pushErrorScope("out-of-memory");
  device.pushErrorScope("validation");
  const result = work();
  const [validation, memory] = [await device.popErrorScope(), await device.popErrorScope()];
  const error = validation ?? memory;
  if (error) throw new Error(`WebGPU: ${error.message}`);
  return result;
}

/**
 * Uploads `points` (row-major, `dim` columns) and compiles the kernel. `k` is the most centroids
 * expected; a call with more grows the centroid buffer. Throws when the device cannot hold the
 * points in one storage binding — the caller then stays on the CPU.
 */
export async function createWebGpuAssign(device: GpuDevice, points: Float32Array, dim: number, k: number): Promise<WebGpuAssign> {
  const n = points.length / dim;
  if (!Number.isInteger(n) || n < 1) throw new Error(`k-means on WebGPU needs at least one point of dimension ${dim}`);
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (points.byteLength > limit) throw new Error(`${points.byteLength} bytes of points exceed this GPU's storage binding limit (${limit})`);
  const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
  const groups = Math.ceil(n / WORKGROUP_SIZE);
  const dispatch: [number, number] = [Math.min(groups, maxGroups), Math.ceil(groups / maxGroups)];

  const buffers: GpuBuffer[] = [];
  const buffer = (label: string, size: number, usage: number) => {
    const b = device.createBuffer({ label, size, usage });
    buffers.push(b);
    return b;
  };
  const destroy = () => buffers.splice(0).forEach((b) => b.destroy());

  try {
    const pipeline: GpuComputePipeline = await device.createComputePipelineAsync({
      layout: "auto",
      compute: { module: device.createShaderModule({ label: "k-means assign", code: SHADER }), entryPoint: "main" },
    });
    const { params, pointsBuffer, labels, readback } = await checked(device, () => {
      const pointsBuffer = buffer("k-means points", points.byteLength, BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST);
      device.queue.writeBuffer(pointsBuffer, 0, points.buffer as ArrayBuffer, points.byteOffset, points.byteLength);
      return {
        pointsBuffer,
        params: buffer("k-means params", 16, BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST),
        labels: buffer("k-means labels", n * 4, BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC),
        readback: buffer("k-means readback", n * 4, BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST),
      };
    });

    let centroidBuffer: GpuBuffer | undefined;
    let bindGroup: GpuBindGroup | undefined;
    const ensureCapacity = async (bytes: number) => {
      if (centroidBuffer && centroidBuffer.size >= bytes) return;
      centroidBuffer?.destroy();
      centroidBuffer = await checked(device, () => buffer("k-means centroids", bytes, BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST));
      bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [params, pointsBuffer, centroidBuffer, labels].map((b, binding) => ({ binding, resource: { buffer: b } })),
      });
    };
    await ensureCapacity(Math.max(1, k) * dim * 4);

    const paramBytes = new ArrayBuffer(16);
    const tolerance = tieTolerance(dim);
    const stats = { assigned: 0, settledOnCpu: 0 };
    let busy = false;

    return {
      stats,
      destroy,
      async assign(centroids) {
        const kNow = centroids.length / dim;
        if (!Number.isInteger(kNow) || kNow < 1) throw new Error(`k-means on WebGPU: ${centroids.length} centroid values for dimension ${dim}`);
        // One staging buffer: k-means awaits each step, and a second map would fail anyway.
        if (busy) throw new Error("k-means on WebGPU: one assignment at a time");
        busy = true;
        try {
          await ensureCapacity(centroids.byteLength);
          new Uint32Array(paramBytes, 0, 3).set([n, dim, kNow]);
          new Float32Array(paramBytes, 12, 1)[0] = tolerance;
          device.pushErrorScope("validation");
          device.queue.writeBuffer(params, 0, paramBytes);
          device.queue.writeBuffer(centroidBuffer!, 0, centroids.buffer as ArrayBuffer, centroids.byteOffset, centroids.byteLength);
          const encoder = device.createCommandEncoder();
          const pass = encoder.beginComputePass();
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, bindGroup!);
          pass.dispatchWorkgroups(dispatch[0], dispatch[1]);
          pass.end();
          encoder.copyBufferToBuffer(labels, 0, readback, 0, n * 4);
          device.queue.submit([encoder.finish()]);
          // Mapping waits for the submitted work; it rejects if the device is lost meanwhile.
          const mapped = readback.mapAsync(MAP_MODE_READ);
          // An invalid submit runs nothing, and the staging buffer would still map, stale:
          // only the error scope tells.
          const error = await device.popErrorScope();
          if (error) {
            mapped.catch(() => {});
            throw new Error(`WebGPU: ${error.message}`);
          }
          await mapped;
          const result = new Int32Array(readback.getMappedRange().slice(0));
          readback.unmap();
          for (let i = 0; i < n; i++) {
            if (result[i]! >= 0) continue;
            result[i] = cpuAssign(points.subarray(i * dim, i * dim + dim), centroids, dim)[0]!;
            stats.settledOnCpu++;
          }
          stats.assigned += n;
          return result;
        } finally {
          busy = false;
        }
      },
    };
  } catch (err) {
    destroy();
    throw err;
  }
}
