/** Elementwise activations and dropout on the CPU. */
import { simdHeap } from './simd';
import type {
  DropoutGradKernel, DropoutKernel, LeakyReluGradKernel, LeakyReluKernel, ReluGradKernel, ReluKernel, KernelSignatures } from '../../ops/kernels';
import { dropoutBits, dropoutThreshold } from '../../ops/kernels';

// The elementwise loops below are branch-free: after BN the signs are random, and a mispredicted
// branch per element made them ~6x slower. Large ReLUs run the same rule in WebAssembly SIMD.

/** Tensors of at least this many values use the SIMD kernels (where available). */
const SIMD_MIN_SIZE = 4096;

/**
 * y = x > 0 ? x : 0 on the float bits: clears values with the sign bit set (negatives, −0, −∞)
 * unless they are NaN (|bits| > 0x7f800000), which passes through as in PyTorch.
 */
export const relu: ReluKernel = (x, y) => {
  const n = x.size;
  const simd = n >= SIMD_MIN_SIZE ? simdHeap(2 * n * 4) : null;
  if (simd) {
    simd.f32.set(x.data, 0);
    simd.k.relu(0, n * 4, n);
    y.data.set(simd.f32.subarray(n, 2 * n));
    return;
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
  const simd = n >= SIMD_MIN_SIZE ? simdHeap(3 * n * 4) : null;
  if (simd) {
    simd.f32.set(dy.data, 0);
    simd.f32.set(y.data, n);
    simd.k.reluGrad(0, n * 4, 2 * n * 4, n);
    dx.data.set(simd.f32.subarray(2 * n, 3 * n));
    return;
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
