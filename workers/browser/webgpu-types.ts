/**
 * The few WebGPU types the k-means kernel uses. TypeScript 5.9's lib.dom has no WebGPU, and
 * this tree does not depend on @webgpu/types; these are structural subsets of the spec's
 * interfaces, named apart from the globals so they cannot clash when lib.dom gains them.
 */
export interface GpuBuffer {
  readonly size: number;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface GpuLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
}

interface GpuBindGroupLayout {
  readonly __brand?: "GPUBindGroupLayout";
}

export interface GpuComputePipeline {
  getBindGroupLayout(index: number): GpuBindGroupLayout;
}

export interface GpuBindGroup {
  readonly __brand?: "GPUBindGroup";
}

interface GpuComputePass {
  setPipeline(pipeline: GpuComputePipeline): void;
  setBindGroup(index: number, group: GpuBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

interface GpuCommandBuffer {
  readonly __brand?: "GPUCommandBuffer";
}

interface GpuCommandEncoder {
  beginComputePass(): GpuComputePass;
  copyBufferToBuffer(source: GpuBuffer, sourceOffset: number, destination: GpuBuffer, destinationOffset: number, size: number): void;
  finish(): GpuCommandBuffer;
}

export interface GpuDevice {
  readonly limits: GpuLimits;
  readonly lost: Promise<{ reason: string; message: string }>;
  readonly queue: {
    writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBuffer, dataOffset?: number, size?: number): void;
    submit(buffers: GpuCommandBuffer[]): void;
  };
  createBuffer(descriptor: { size: number; usage: number; label?: string }): GpuBuffer;
  createShaderModule(descriptor: { code: string; label?: string }): unknown;
  createComputePipelineAsync(descriptor: { layout: "auto"; compute: { module: unknown; entryPoint: string } }): Promise<GpuComputePipeline>;
  createBindGroup(descriptor: { layout: GpuBindGroupLayout; entries: { binding: number; resource: { buffer: GpuBuffer } }[] }): GpuBindGroup;
  createCommandEncoder(): GpuCommandEncoder;
  pushErrorScope(filter: "validation" | "out-of-memory" | "internal"): void;
  popErrorScope(): Promise<{ message: string } | null>;
  destroy(): void;
}

export interface GpuAdapter {
  readonly limits: GpuLimits;
  readonly info?: { vendor?: string; architecture?: string; description?: string };
  requestDevice(descriptor?: { requiredLimits?: Record<string, number>; label?: string }): Promise<GpuDevice>;
}

/** `navigator.gpu` where the browser has it (pages and workers in a secure context). */
export function navigatorGpu(): { requestAdapter(): Promise<GpuAdapter | null> } | undefined {
  return (globalThis.navigator as { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } } | undefined)?.gpu;
}

// The spec's GPUBufferUsage / GPUMapMode flag values (fixed by the spec), so this module needs
// no WebGPU globals to load — it is imported where WebGPU may be absent.
export const BUFFER_USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MAP_MODE_READ = 0x1;
