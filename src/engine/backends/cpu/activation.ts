/** Elementwise activations and dropout on the CPU. */
import { place, simdKernels, takeOut } from './simd';
import { parallel } from './threads';
import type {
  DropoutGradKernel, DropoutKernel, LeakyReluGradKernel, LeakyReluKernel, ReluGradKernel, ReluKernel, KernelSignatures } from '../../ops/kernels';
import { dropoutBits, dropoutThreshold } from '../../ops/kernels';

// The elementwise loops below are branch-free: after BN the signs are random, and a mispredicted
// branch per element made them ~6x slower. Large ReLUs run the same rule in WebAssembly SIMD.

/** Tensors of at least this many values use the SIMD kernels (where available). */
const SIMD_MIN_SIZE = 4096;
/** Values per parallel chunk. */
const CHUNK = 1 << 16;

/**
 * y = x > 0 ? x : 0 on the float bits: clears values with the sign bit set (negatives, −0, −∞)
 * unless they are NaN (|bits| > 0x7f800000), which passes through as in PyTorch.
 */
export const relu: ReluKernel = (x, y) => {
  const n = x.size;
  if (n >= SIMD_MIN_SIZE && simdKernels()) {
    const xAt = place(x.data, 'relu.x', true), yAt = place(y.data, 'relu.y', false);
    if (xAt >= 0 && yAt >= 0 && parallel('relu', n, CHUNK, 2, [xAt, yAt, 0], [4, 4, 0])) return takeOut(y.data, yAt);
  }
  const xb = bits(x.data), yb = bits(y.data);
  for (let i = 0; i < xb.length; i++) {
    const b = xb[i];
    yb[i] = b & ~((b >> 31) & (((b & 0x7fffffff) - 0x7f800001) >> 31));
  }
};

/** dx = dy where y > 0 (y = relu(x), so y > 0 ⇔ x > 0), else exactly 0: a bit mask on the float bits. */
export const reluGrad: ReluGradKernel = (dy, y, dx) => {
  const n = dy.size;
  if (n >= SIMD_MIN_SIZE && simdKernels()) {
    const dyAt = place(dy.data, 'relu.dy', true), yAt = place(y.data, 'relu.y', true), dxAt = place(dx.data, 'relu.dx', false);
    if (dyAt >= 0 && yAt >= 0 && dxAt >= 0 && parallel('reluGrad', n, CHUNK, 3, [dyAt, yAt, dxAt, 0], [4, 4, 4, 0])) return takeOut(dx.data, dxAt);
  }
  const g = bits(dy.data), yd = y.data, out = bits(dx.data);
  for (let i = 0; i < yd.length; i++) out[i] = g[i] & -(yd[i] > 0);
};

export const leakyRelu: LeakyReluKernel = (x, slope, y) => {
  const xd = x.data, yd = y.data;
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i], pos = +(v > 0);
    yd[i] = v * (pos + (1 - pos) * slope); // exactly v·1 or v·slope
  }
};

export const leakyReluGrad: LeakyReluGradKernel = (dy, x, slope, dx) => {
  const g = dy.data, xd = x.data, out = dx.data;
  for (let i = 0; i < g.length; i++) {
    const pos = +(xd[i] > 0);
    out[i] = g[i] * pos + g[i] * slope * (1 - pos);
  }
};

/** The int32 view of a float32 array's bits. */
function bits(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/** Inverted dropout: mask[i] = 0 with probability p, else 1/(1−p); y = x·mask. */
export const dropout: DropoutKernel = (x, p, seed, y, maskT) => {
  const scale = p >= 1 ? 0 : 1 / (1 - p);
  const threshold = dropoutThreshold(p);
  const xd = x.data, yd = y.data, mask = maskT.data;
  for (let i = 0; i < xd.length; i++) {
    const m = dropoutBits(seed, i) < threshold ? 0 : scale;
    mask[i] = m;
    yd[i] = xd[i] * m;
  }
};

export const dropoutGrad: DropoutGradKernel = (dy, maskT, dx) => {
  const g = dy.data, out = dx.data, mask = maskT.data;
  for (let i = 0; i < g.length; i++) out[i] = g[i] * mask[i];
};

export const activationKernels = {
  Relu: relu,
  ReluGrad: reluGrad,
  LeakyRelu: leakyRelu,
  LeakyReluGrad: leakyReluGrad,
  Dropout: dropout,
  DropoutGrad: dropoutGrad,
} satisfies Partial<KernelSignatures>;
