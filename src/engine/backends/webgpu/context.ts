/**
 * The WebGPU device and everything kernels share: a command encoder that records a whole step,
 * pipelines cached by shader key, pooled buffers, uniforms, and the first device error (shader,
 * pipeline, out-of-memory) or device loss, which every later call reports.
 */
import { Tensor, sizeOf, type DType, type DeviceStorage, type Shape } from '../../tensor';

/** Threads per workgroup for 1-D kernels; `index` in PRELUDE covers dispatches beyond 65535 groups. */
export const WG = 256;

/** WGSL shared by every kernel: a flat invocation index for 1-D grids of WG-thread workgroups. */
export const PRELUDE = /* wgsl */ `
const WG: u32 = ${WG}u;
fn flatIndex(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * WG; }
`;

export interface GpuStorage extends DeviceStorage {
  readonly backend: 'webgpu';
  readonly buffer: GPUBuffer;
}

/** A device-side failure, with the reason the GPU gave; the run cannot go on on this device. */
export class GpuError extends Error {
  override name = 'GpuError';
}

export type Binding = 'read' | 'write';

export interface Dispatch {
  /** Pipeline cache key: one compiled pipeline per distinct key. */
  key: string;
  /** The shader (PRELUDE is prepended); its bindings are 0..n-1 in `tensors` order, then the uniform struct. */
  wgsl: () => string;
  /** Storage bindings, in order; null binds a dummy buffer (the shader must not touch it). */
  tensors: (Tensor | null)[];
  /** 'read' (read-only storage) or 'write' (read-write storage), per tensor. */
  access: Binding[];
  /** The uniform struct's 4-byte fields, in order (see u32/f32). */
  uniforms: Uniform[];
  /** Workgroups to dispatch (x, y, z). */
  groups: [number, number?, number?];
}

export type Uniform = { u32: number } | { i32: number } | { f32: number };
export const u32 = (v: number): Uniform => ({ u32: v >>> 0 });
export const i32 = (v: number): Uniform => ({ i32: v | 0 });
export const f32 = (v: number): Uniform => ({ f32: v });

/** Workgroup counts for n invocations of WG threads, split over y when past the 65535 limit. */
export function grid(n: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / WG));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x)];
}

export class GpuContext {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();
  private readonly free = new Map<number, GPUBuffer[]>();
  private uniformsInFlight: GPUBuffer[] = [];
  private readonly freeUniforms = new Map<number, GPUBuffer[]>();
  private readonly dummy: GPUBuffer;
  /** Readback buffers, reused (creating and destroying one per read is slow, and crashed Dawn's GL backend). */
  private readonly freeStaging = new Map<number, GPUBuffer[]>();
  private failure: GpuError | null = null;
  private readonly released = new FinalizationRegistry<{ size: number; buffer: GPUBuffer }>(({ size, buffer }) => this.release(size, buffer));
  /** Dispatches recorded since the context was made (for benchmarks and tests). */
  dispatches = 0;

  constructor(readonly device: GPUDevice, readonly adapterInfo: { vendor: string; architecture: string; device: string; description: string; software: boolean }) {
    this.dummy = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    device.addEventListener?.('uncapturederror', (e) => this.fail(`WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`));
    void device.lost.then((info) => this.fail(`the GPU device was lost (${info.reason || 'unknown'}${info.message ? `: ${info.message}` : ''})`));
  }

  /** "vendor / architecture", with "(software)" for a fallback adapter such as SwiftShader. */
  describe(): string {
    const { vendor, architecture, device, description, software } = this.adapterInfo;
    const name = [vendor, architecture].filter(Boolean).join(' / ') || device || description || 'unknown adapter';
    return `webgpu (${name}${software ? ', software' : ''})`;
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  fail(message: string): void {
    this.failure ??= new GpuError(message);
  }

  /** Throws the first device error, if one happened. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** A zero-filled tensor of this device. */
  empty(shape: Shape, dtype: DType): Tensor {
    this.check();
    const byteLength = Math.max(16, Math.ceil((sizeOf(shape) * 4) / 16) * 16);
    const pooled = this.free.get(byteLength)?.pop();
    const buffer = pooled ?? this.device.createBuffer({ size: byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    if (pooled) this.encode().clearBuffer(buffer);
    const storage: GpuStorage = { backend: 'webgpu', buffer, byteLength };
    this.released.register(storage, { size: byteLength, buffer });
    return Tensor.onDevice(shape, dtype, storage);
  }

  private release(size: number, buffer: GPUBuffer): void {
    const list = this.free.get(size) ?? [];
    list.push(buffer);
    this.free.set(size, list);
  }

  /** The encoder recording the current batch of work (a compute pass is closed first). */
  encode(): GPUCommandEncoder {
    this.endPass();
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Records one compute dispatch. */
  run(d: Dispatch): void {
    this.check();
    const { pipeline, layout } = this.pipeline(d);
    const entries: GPUBindGroupEntry[] = d.tensors.map((t, binding) => ({ binding, resource: { buffer: t ? storageOf(t).buffer : this.dummy } }));
    entries.push({ binding: d.tensors.length, resource: { buffer: this.uniformBuffer(d.uniforms) } });
    const bindGroup = this.device.createBindGroup({ layout, entries });
    if (!this.pass) this.pass = (this.encoder ??= this.device.createCommandEncoder()).beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = d.groups;
    this.pass.dispatchWorkgroups(x, y, z);
    this.dispatches++;
  }

  private pipeline(d: Dispatch) {
    const key = `${d.key}|${d.access.join(',')}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const layout = this.device.createBindGroupLayout({
        entries: [
          ...d.access.map((a, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: a === 'read' ? 'read-only-storage' : 'storage' } as GPUBufferBindingLayout })),
          { binding: d.access.length, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        ],
      });
      const module = this.device.createShaderModule({ code: PRELUDE + d.wgsl(), label: d.key });
      const pipeline = this.device.createComputePipeline({
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main' },
        label: d.key,
      });
      p = { pipeline, layout };
      this.pipelines.set(key, p);
    }
    return p;
  }

  private uniformBuffer(fields: Uniform[]): GPUBuffer {
    const size = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
    const data = new ArrayBuffer(size);
    const view = new DataView(data);
    fields.forEach((f, i) => {
      if ('u32' in f) view.setUint32(i * 4, f.u32, true);
      else if ('i32' in f) view.setInt32(i * 4, f.i32, true);
      else view.setFloat32(i * 4, f.f32, true);
    });
    const buffer = this.freeUniforms.get(size)?.pop() ?? this.device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    // Queue writes happen before the pending encoder is submitted, and each uniform buffer is used by one dispatch per submit.
    this.device.queue.writeBuffer(buffer, 0, data);
    this.uniformsInFlight.push(buffer);
    return buffer;
  }

  /** Submits everything recorded so far. */
  flush(): void {
    this.endPass();
    if (this.encoder) {
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
    }
    for (const b of this.uniformsInFlight) {
      const list = this.freeUniforms.get(b.size) ?? [];
      list.push(b);
      this.freeUniforms.set(b.size, list);
    }
    this.uniformsInFlight = [];
  }

  /** Writes host values into a tensor after all recorded work. */
  write(t: Tensor, values: Float32Array | Int32Array): void {
    this.check();
    this.flush();
    // CPU tensors may live in a shared WebAssembly heap; Dawn's writeBuffer takes only an ArrayBuffer.
    const data = values.buffer instanceof ArrayBuffer ? values : values.slice();
    this.device.queue.writeBuffer(storageOf(t).buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Copies a tensor's current values (after all recorded work) and resolves with them. */
  async read(t: Tensor): Promise<Float32Array | Int32Array> {
    this.check();
    const bytes = t.size * 4;
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const staging = this.freeStaging.get(size)?.pop() ?? this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (bytes > 0) this.encode().copyBufferToBuffer(storageOf(t).buffer, 0, staging, 0, Math.ceil(bytes / 4) * 4);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      this.check();
      throw new GpuError(`reading a tensor back from the GPU failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const copy = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    const list = this.freeStaging.get(size) ?? [];
    list.push(staging);
    this.freeStaging.set(size, list);
    this.check();
    return t.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
  }

  /** Moves a host tensor's values onto the device, in place. */
  adopt(t: Tensor): void {
    const values = t.dtype === 'int32' ? t.ints : t.data;
    const device = this.empty(t.shape, t.dtype);
    this.write(device, values);
    t.adoptStorage(device.storage);
  }
}

export function storageOf(t: Tensor): GpuStorage {
  if (t.backend !== 'webgpu') throw new Error(`a webgpu kernel was given a ${t.backend} tensor`);
  return t.storage as GpuStorage;
}
