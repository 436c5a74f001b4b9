/**
 * Contiguous tensor, row-major (NCHW for images). Its storage belongs to a backend: host arrays for
 * the CPU backend, device buffers for WebGPU. `data`/`ints` read host storage synchronously and
 * refuse device storage; values of any tensor are read with `await read(t)` (backend.ts).
 * Storage is shared by reshape.
 */
import { allocF32, allocI32 } from './backends/cpu/heap';

export type Shape = readonly number[];
export type DType = 'float32' | 'int32';
export type HostArray = Float32Array | Int32Array;

/** What a device backend keeps for one tensor (a GPU buffer and its size, for WebGPU). */
export interface DeviceStorage {
  readonly backend: string;
  readonly byteLength: number;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeToString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** The one place host storage is allocated: float32 tensors live in the CPU backend's shared heap where it has one. */
export function hostArray(n: number, dtype: DType = 'float32'): HostArray {
  return dtype === 'int32' ? allocI32(n) : allocF32(n);
}

function copyOf(values: HostArray): HostArray {
  const copy = hostArray(values.length, values instanceof Int32Array ? 'int32' : 'float32');
  copy.set(values);
  return copy;
}

function checkShape(shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid tensor shape ${shapeToString(shape)}`);
  }
}

export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  /** Number of elements (the product of the shape). */
  readonly size: number;
  private host: HostArray | null;
  private device: DeviceStorage | null;

  /** A host (CPU) tensor over `data`, or over fresh zeros; with `device`, a tensor in that device storage. */
  constructor(shape: Shape, data?: HostArray, dtype?: DType, device?: DeviceStorage) {
    checkShape(shape);
    const n = sizeOf(shape);
    if (data && data.length !== n) {
      throw new Error(`tensor data has ${data.length} values, shape ${shapeToString(shape)} needs ${n}`);
    }
    this.shape = [...shape];
    this.size = n;
    this.dtype = dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
    this.device = device ?? null;
    this.host = device ? null : (data ?? hostArray(n, this.dtype));
  }

  /** A tensor whose values live in a device backend's storage. */
  static onDevice(shape: Shape, dtype: DType, storage: DeviceStorage): Tensor {
    return new Tensor(shape, undefined, dtype, storage);
  }

  static zeros(shape: Shape): Tensor {
    return new Tensor(shape);
  }

  static from(shape: Shape, values: ArrayLike<number>): Tensor {
    const t = new Tensor(shape);
    t.data.set(values);
    return t;
  }

  static filled(shape: Shape, value: number): Tensor {
    const t = new Tensor(shape);
    t.data.fill(value);
    return t;
  }

  static ints(shape: Shape, values: ArrayLike<number>): Tensor {
    return new Tensor(shape, Int32Array.from(values), 'int32');
  }

  /** 'cpu' for host storage, else the device backend's name. */
  get backend(): string {
    return this.device ? this.device.backend : 'cpu';
  }

  /** The device storage (for the backend that owns it); throws for host tensors. */
  get storage(): DeviceStorage {
    if (!this.device) throw new Error('tensor lives in host memory, not on a device');
    return this.device;
  }

  /** Host storage of a float32 tensor. */
  get data(): Float32Array {
    const h = this.hostStorage();
    if (!(h instanceof Float32Array)) throw new Error('tensor is int32: use .ints');
    return h;
  }

  /** Host storage of an int32 tensor. */
  get ints(): Int32Array {
    const h = this.hostStorage();
    if (!(h instanceof Int32Array)) throw new Error('tensor is float32: use .data');
    return h;
  }

  private hostStorage(): HostArray {
    if (!this.host) throw new Error(`tensor lives on ${this.backend}: read its values with await read(tensor)`);
    return this.host;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A view with another shape over the same storage. */
  reshape(shape: Shape): Tensor {
    if (sizeOf(shape) !== this.size) throw new Error(`cannot reshape ${shapeToString(this.shape)} to ${shapeToString(shape)}`);
    if (this.device) return Tensor.onDevice(shape, this.dtype, this.device);
    return new Tensor(shape, this.host!, this.dtype);
  }

  /** A host copy (host tensors only; device tensors are copied by read()). */
  clone(): Tensor {
    return new Tensor(this.shape, copyOf(this.hostStorage()), this.dtype);
  }

  sameShape(other: Tensor): boolean {
    return this.shape.length === other.shape.length && this.shape.every((d, i) => d === other.shape[i]);
  }

  /** Moves this tensor's values into `storage` in place (used by backends' moveTo); views made before are not moved. */
  adoptStorage(storage: DeviceStorage | HostArray): void {
    if (ArrayBuffer.isView(storage)) {
      this.host = storage;
      this.device = null;
    } else {
      this.device = storage;
      this.host = null;
    }
  }
}
