import { kernel, reuse } from '../backend';
import type { Tensor } from '../tensor';
import { checkShape, fail } from './check';

export function relu(x: Tensor, out?: Tensor): Tensor {
  const y = reuse(out, x.shape);
  kernel('Relu')(x, y);
  return y;
}

/** dx = dy where y = relu(x) > 0, else 0. */
export function reluGrad(dy: Tensor, y: Tensor, out?: Tensor): Tensor {
  checkShape('reluGrad', 'dy', dy, y.shape);
  const dx = reuse(out, dy.shape);
  kernel('ReluGrad')(dy, y, dx);
  return dx;
}

export function leakyRelu(x: Tensor, slope: number, out?: Tensor): Tensor {
  const y = reuse(out, x.shape);
  kernel('LeakyRelu')(x, slope, y);
  return y;
}

export function leakyReluGrad(dy: Tensor, x: Tensor, slope: number, out?: Tensor): Tensor {
  checkShape('leakyReluGrad', 'dy', dy, x.shape);
  const dx = reuse(out, dy.shape);
  kernel('LeakyReluGrad')(dy, x, slope, dx);
  return dx;
}

export interface DropoutResult {
  y: Tensor;
  /** 0 (dropped) or 1/(1-p) (kept), per element. */
  mask: Tensor;
}

/** Inverted dropout (training mode) with a counter-based mask from `seed` (a u32); in eval mode layers skip it. */
export function dropout(x: Tensor, p: number, seed: number, out?: Partial<DropoutResult>): DropoutResult {
  if (!(p >= 0 && p <= 1)) fail('dropout', `probability must be in [0, 1], got ${p}`);
  const y = reuse(out?.y, x.shape);
  const mask = reuse(out?.mask, x.shape);
  kernel('Dropout')(x, p, seed >>> 0, y, mask);
  return { y, mask };
}

/** dx = dy·mask */
export function dropoutGrad(dy: Tensor, mask: Tensor, out?: Tensor): Tensor {
  checkShape('dropoutGrad', 'mask', mask, dy.shape);
  const dx = reuse(out, dy.shape);
  kernel('DropoutGrad')(dy, mask, dx);
  return dx;
}
