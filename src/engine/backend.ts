/**
 * The active backend: ops look their kernels up here by name (kernel-registry.ts holds them), and
 * tensors' storage is allocated, written and read through their backend's `TensorStore`.
 *   setBackend('cpu'); kernel('Conv2D')(x, w, b, attrs, y);   const values = await read(t);
 * Kernels only record work (a device backend queues it); `read` is the one way values come back.
 */
import { hasKernel, getKernel, type BackendName } from './kernel-registry';
import { KERNEL_NAMES } from './kernel-names';
import type { KernelName, KernelSignatures } from './ops/kernels';
import { Tensor, type DType, type HostArray, type Shape } from './tensor';

export type { BackendName };

/** Where a backend keeps tensor values. */
export interface TensorStore {
  /** A zero-filled tensor in this backend's storage. */
  empty(shape: Shape, dtype: DType): Tensor;
  /** Copies host values into `t` (a tensor of this backend), in queue order. */
  write(t: Tensor, values: HostArray): void;
  /** Snapshots `t` now (in queue order) and resolves with a host copy of its values. */
  read(t: Tensor): Promise<HostArray>;
  /** Moves a host tensor's values into this backend, in place (the Tensor object stays the same). */
  adopt(t: Tensor): void;
  /** Submits queued work (no-op for the CPU). */
  flush(): void;
  /** A short description of the device, e.g. "cpu (wasm simd)" or "nvidia / hopper". */
  describe(): string;
}

const hostStore: TensorStore = {
  empty: (shape, dtype) => new Tensor(shape, undefined, dtype),
  write: (t, values) => (t.dtype === 'int32' ? t.ints : t.data).set(values),
  read: async (t) => (t.dtype === 'int32' ? t.ints : t.data).slice(),
  adopt: (t) => {
    if (t.backend !== 'cpu') throw new Error(`cannot move a ${t.backend} tensor to the cpu in place; read() it`);
  },
  flush: () => {},
  describe: () => 'cpu',
};

const stores = new Map<BackendName, TensorStore>([['cpu', hostStore]]);
let active: BackendName = 'cpu';

export function registerStore(name: BackendName, store: TensorStore): void {
  stores.set(name, store);
}

/** Switches every op to `name`; throws if that backend lacks any kernel or its storage. */
export function setBackend(name: BackendName): void {
  const missing = KERNEL_NAMES.filter((k) => !hasKernel(name, k));
  if (missing.length > 0) throw new Error(`backend ${name} is missing kernels: ${missing.join(', ')}`);
  if (!stores.has(name)) throw new Error(`backend ${name} has no tensor storage registered`);
  active = name;
}

export function getBackend(): BackendName {
  return active;
}

/** The storage of backend `name` (default: the active one). */
export function store(name: string = active): TensorStore {
  const s = stores.get(name as BackendName);
  if (!s) throw new Error(`backend ${name} has no tensor storage registered`);
  return s;
}

/** The active backend's kernel `name`. */
export function kernel<K extends KernelName>(name: K): KernelSignatures[K] {
  return getKernel(active, name);
}

/** A zero-filled tensor on the active backend. */
export function empty(shape: Shape, dtype: DType = 'float32'): Tensor {
  return store().empty(shape, dtype);
}

/** `t` if it already has this shape and dtype on the active backend, else a new zeroed tensor: lets layers reuse buffers across steps. */
export function reuse(t: Tensor | undefined | null, shape: Shape, dtype: DType = 'float32'): Tensor {
  if (t && t.dtype === dtype && t.backend === active && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) return t;
  return empty(shape, dtype);
}

/** A host copy of `t`'s values, snapshotted at the call (later kernels do not change it). */
export function read(t: Tensor): Promise<HostArray> {
  return store(t.backend).read(t);
}

/** Float32 values of `t` as a host array. */
export async function readFloats(t: Tensor): Promise<Float32Array> {
  const v = await read(t);
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

/** Writes host values into `t`, whichever backend holds it. */
export function write(t: Tensor, values: HostArray): void {
  store(t.backend).write(t, values);
}

/** A tensor on the active backend holding `values` (the host tensor itself on the CPU). */
export function upload(shape: Shape, values: HostArray): Tensor {
  const host = new Tensor(shape, values);
  if (active === 'cpu') return host;
  store().adopt(host);
  return host;
}

/** Host values as a tensor on the active backend, reusing `prev`'s storage when it fits (a view of `values` on the CPU). */
export function uploadInto(prev: Tensor | undefined, shape: Shape, values: HostArray): Tensor {
  if (active === 'cpu') return new Tensor(shape, values);
  const t = reuse(prev, shape, values instanceof Int32Array ? 'int32' : 'float32');
  store().write(t, values);
  return t;
}
