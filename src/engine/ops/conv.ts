import { kernel, reuse } from '../backend';
import type { Conv2DAttrs } from '../kernel-names';
import { shapeToString, type Shape, type Tensor } from '../tensor';
import { checkPositiveInts, checkRank, checkShape, checkVector, fail } from './check';

/** Full attributes from partial ones (PyTorch's defaults: stride 1, padding 0, dilation 1, groups 1). */
export function conv2dAttrs(a: {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
} = {}): Conv2DAttrs {
  const pair = (v: number | [number, number] | undefined, d: number): [number, number] =>
    v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  return { stride: pair(a.stride, 1), padding: pair(a.padding, 0), dilation: pair(a.dilation, 1), groups: a.groups ?? 1 };
}

/** Output shape [N, O, OH, OW] of conv2d, or an OpError naming what does not fit. */
export function conv2dOutputShape(xShape: Shape, wShape: Shape, attrs: Conv2DAttrs): Shape {
  const op = 'conv2d';
  if (xShape.length !== 4) fail(op, `input must be 4-D [N, C, H, W], got ${shapeToString(xShape)}`);
  if (wShape.length !== 4) fail(op, `weight must be 4-D [O, C/groups, kh, kw], got ${shapeToString(wShape)}`);
  const { stride, padding, dilation, groups } = attrs;
  checkPositiveInts(op, 'stride', stride, 1);
  checkPositiveInts(op, 'dilation', dilation, 1);
  checkPositiveInts(op, 'padding', padding, 0);
  checkPositiveInts(op, 'groups', [groups], 1);
  const [N, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  if (C % groups !== 0 || O % groups !== 0) {
    fail(op, `groups=${groups} must divide the input channels (${C}) and the output channels (${O})`);
  }
  if (Cg * groups !== C) {
    fail(op, `input ${shapeToString(xShape)} has ${C} channels, but weight ${shapeToString(wShape)} with groups=${groups} expects ${Cg * groups}`);
  }
  const OH = Math.floor((H + 2 * padding[0] - dilation[0] * (KH - 1) - 1) / stride[0]) + 1;
  const OW = Math.floor((W + 2 * padding[1] - dilation[1] * (KW - 1) - 1) / stride[1]) + 1;
  if (OH < 1 || OW < 1 || KH < 1 || KW < 1) {
    fail(op, `kernel ${KH}x${KW} (dilation ${dilation.join('x')}) does not fit input ${H}x${W} with padding ${padding.join('x')}`);
  }
  return [N, O, OH, OW];
}

export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, attrs: Conv2DAttrs, out?: Tensor): Tensor {
  const shape = conv2dOutputShape(x.shape, w.shape, attrs);
  checkVector('conv2d', 'bias', b, w.shape[0]);
  const y = reuse(out, shape);
  kernel('Conv2D')(x, w, b, attrs, y);
  return y;
}

export interface Conv2DGrads {
  dx: Tensor | null;
  dw: Tensor;
  db: Tensor;
}

/** Gradients of conv2d; db is always computed (ignore it without a bias). `out` buffers are reused. */
export function conv2dBackward(
  dy: Tensor, x: Tensor, w: Tensor, attrs: Conv2DAttrs, needDx: boolean, out?: Partial<Conv2DGrads>,
): Conv2DGrads {
  checkShape('conv2dBackward', 'dy', dy, conv2dOutputShape(x.shape, w.shape, attrs));
  checkRank('conv2dBackward', 'dy', dy, 4, '[N, O, OH, OW]');
  const dw = reuse(out?.dw, w.shape);
  const db = reuse(out?.db, [w.shape[0]]);
  kernel('Conv2DBackpropFilter')(dy, x, attrs, dw, db);
  let dx: Tensor | null = null;
  if (needDx) {
    dx = reuse(out?.dx ?? undefined, x.shape);
    kernel('Conv2DBackpropInput')(dy, w, attrs, dx);
  }
  return { dx, dw, db };
}
