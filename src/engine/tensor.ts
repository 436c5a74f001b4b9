/** Contiguous float32 tensor, row-major (NCHW for images). Storage is shared by reshape. */
import { allocF32 } from './backends/cpu/heap';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeToString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export class Tensor {
  readonly shape: Shape;
  readonly data: Float32Array;

  constructor(shape: Shape, data?: Float32Array) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`invalid tensor shape ${shapeToString(shape)}`);
    }
    const n = sizeOf(shape);
    if (data && data.length !== n) {
      throw new Error(`tensor data has ${data.length} values, shape ${shapeToString(shape)} needs ${n}`);
    }
    this.shape = [...shape];
    this.data = data ?? allocF32(n); // in the CPU backend's shared heap where it has one
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

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A view with another shape over the same storage. */
  reshape(shape: Shape): Tensor {
    return new Tensor(shape, this.data);
  }

  clone(): Tensor {
    const t = new Tensor(this.shape);
    t.data.set(this.data);
    return t;
  }

  sameShape(other: Tensor): boolean {
    return this.shape.length === other.shape.length && this.shape.every((d, i) => d === other.shape[i]);
  }
}

/** Returns `t` if it already has `shape`, else a new zeroed tensor: lets layers reuse buffers across steps. */
export function reuse(t: Tensor | undefined, shape: Shape): Tensor {
  if (t && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) return t;
  return new Tensor(shape);
}
