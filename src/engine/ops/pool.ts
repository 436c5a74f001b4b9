import { kernel, reuse } from '../backend';
import type { Pool2DAttrs } from '../kernel-names';
import { shapeToString, type Shape, type Tensor } from '../tensor';
import { checkPositiveInts, checkShape, fail } from './check';

/** Full attributes from partial ones (PyTorch's defaults: stride = kernel, padding 0). */
export function pool2dAttrs(a: {
  kernel: number | [number, number];
  stride?: number | [number, number];
  padding?: number | [number, number];
}): Pool2DAttrs {
  const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
  const kernel = pair(a.kernel);
  return { kernel, stride: a.stride === undefined ? kernel : pair(a.stride), padding: pair(a.padding ?? 0) };
}

/** Output shape [N, C, OH, OW] (floor mode), or an OpError naming what does not fit. */
export function pool2dOutputShape(op: string, xShape: Shape, attrs: Pool2DAttrs): Shape {
  if (xShape.length !== 4) fail(op, `input must be 4-D [N, C, H, W], got ${shapeToString(xShape)}`);
  const { kernel: k, stride: s, padding: p } = attrs;
  checkPositiveInts(op, 'kernel size', k, 1);
  checkPositiveInts(op, 'stride', s, 1);
  checkPositiveInts(op, 'padding', p, 0);
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2) {
    fail(op, `padding ${p.join('x')} should be at most half of the kernel size ${k.join('x')}`);
  }
  const [N, C, H, W] = xShape;
  const OH = Math.floor((H + 2 * p[0] - k[0]) / s[0]) + 1;
  const OW = Math.floor((W + 2 * p[1] - k[1]) / s[1]) + 1;
  if (OH < 1 || OW < 1) fail(op, `kernel ${k.join('x')} does not fit input ${H}x${W} with padding ${p.join('x')}`);
  return [N, C, OH, OW];
}

export interface MaxPoolResult {
  y: Tensor;
  /** Flat index into x of each output's maximum (int32). */
  argmax: Tensor;
}

export function maxPool2d(x: Tensor, attrs: Pool2DAttrs, out?: Partial<MaxPoolResult>): MaxPoolResult {
  const y = reuse(out?.y, pool2dOutputShape('maxPool2d', x.shape, attrs));
  const argmax = reuse(out?.argmax, y.shape, 'int32');
  kernel('MaxPool2D')(x, attrs, y, argmax);
  return { y, argmax };
}

/** attrs: the forward's (the CPU backend has a faster kernel for non-overlapping 2×2 windows). */
export function maxPool2dGrad(dy: Tensor, argmax: Tensor, xShape: Shape, attrs: Pool2DAttrs, out?: Tensor): Tensor {
  if (argmax.size !== dy.size) fail('maxPool2dGrad', `argmax has ${argmax.size} values, dy ${shapeToString(dy.shape)} has ${dy.size}`);
  const dx = reuse(out, xShape);
  kernel('MaxPool2DGrad')(dy, argmax, dx, attrs);
  return dx;
}

/** Average pooling with count_include_pad=true (PyTorch's default). */
export function avgPool2d(x: Tensor, attrs: Pool2DAttrs, out?: Tensor): Tensor {
  const y = reuse(out, pool2dOutputShape('avgPool2d', x.shape, attrs));
  kernel('AvgPool2D')(x, attrs, y);
  return y;
}

export function avgPool2dGrad(dy: Tensor, xShape: Shape, attrs: Pool2DAttrs, out?: Tensor): Tensor {
  checkShape('avgPool2dGrad', 'dy', dy, pool2dOutputShape('avgPool2dGrad', xShape, attrs));
  const dx = reuse(out, xShape);
  kernel('AvgPool2DGrad')(dy, attrs, dx);
  return dx;
}
