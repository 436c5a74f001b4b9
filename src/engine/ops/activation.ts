import { kernel } from '../backend';
import type { Rng } from '../rng';
import { reuse, type Tensor } from '../tensor';
import { checkShape, fail } from './check';
import type { DropoutGradKernel, DropoutKernel, LeakyReluGradKernel, LeakyReluKernel, ReluGradKernel, ReluKernel } from './kernels';

export function relu(x: Tensor, out?: Tensor): Tensor {
  const y = reuse(out, x.shape);
  kernel<ReluKernel>('Relu')(x, y);
  return y;
}

/** dx = dy where y = relu(x) > 0, else 0. */
export function reluGrad(dy: Tensor, y: Tensor, out?: Tensor): Tensor {
  checkShape('reluGrad', 'dy', dy, y.shape);
  const dx = reuse(out, dy.shape);
  kernel<ReluGradKernel>('ReluGrad')(dy, y, dx);
  return dx;
}

export function leakyRelu(x: Tensor, slope: number, out?: Tensor): Tensor {
  const y = reuse(out, x.shape);
  kernel<LeakyReluKernel>('LeakyRelu')(x, slope, y);
  return y;
}

export function leakyReluGrad(dy: Tensor, x: Tensor, slope: number, out?: Tensor): Tensor {
  checkShape('leakyReluGrad', 'dy', dy, x.shape);
  const dx = reuse(out, dy.shape);
  kernel<LeakyReluGradKernel>('LeakyReluGrad')(dy, x, slope, dx);
  return dx;
}

export interface DropoutResult {
  y: Tensor;
  /** 0 (dropped) or 1/(1-p) (kept), per element. */
  mask: Float32Array;
}

/** Inverted dropout (training mode); in eval mode layers skip it. */
export function dropout(x: Tensor, p: number, rng: Rng, out?: Partial<DropoutResult>): DropoutResult {
  if (!(p >= 0 && p <= 1)) fail('dropout', `probability must be in [0, 1], got ${p}`);
  const y = reuse(out?.y, x.shape);
  const mask = out?.mask && out.mask.length === x.size ? out.mask : new Float32Array(x.size);
  kernel<DropoutKernel>('Dropout')(x, p, rng, y, mask);
  return { y, mask };
}

/** dx = dy·mask */
export function dropoutGrad(dy: Tensor, mask: Float32Array, out?: Tensor): Tensor {
  if (mask.length !== dy.size) fail('dropoutGrad', `mask has ${mask.length} values, dy has ${dy.size}`);
  const dx = reuse(out, dy.shape);
  kernel<DropoutGradKernel>('DropoutGrad')(dy, mask, dx);
  return dx;
}
