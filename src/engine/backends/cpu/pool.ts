/**
 * Max and average 2-D pooling on the CPU, PyTorch semantics (floor mode): max pooling treats
 * padding as −∞ and propagates NaN; average pooling counts the padding (count_include_pad=true).
 * argmax holds flat indices into x.
 */
import type { AvgPool2DGradKernel, AvgPool2DKernel, MaxPool2DGradKernel, MaxPool2DKernel, KernelSignatures } from '../../ops/kernels';
import type { Pool2DAttrs } from '../../kernel-names';
import { place, simdKernels, takeOut } from './simd';
import { parallel } from './threads';

/** Values of x per parallel chunk of the SIMD 2×2 kernels (whole planes). */
const CHUNK_VALUES = 1 << 16;

const isPlain2x2 = ({ kernel: [kh, kw], stride: [sh, sw], padding: [ph, pw] }: Pool2DAttrs) =>
  kh === 2 && kw === 2 && sh === 2 && sw === 2 && ph === 0 && pw === 0;

/**
 * The 2×2 kernels on WebAssembly SIMD over the CPU threads, a chunk of whole planes each (argmax
 * holds flat indices, so each chunk gets its first plane's index as `base`). False without SIMD.
 */
function maxPool2x2Simd(
  kernel: 'maxPool2x2' | 'maxPool2x2Grad', planes: number, H: number, W: number,
  [a, b, c]: [Float32Array | Int32Array, Float32Array | Int32Array, Float32Array | Int32Array], inputs: number,
): boolean {
  if (!simdKernels()) return false;
  const at = [place(a, 'pool.0', true), place(b, 'pool.1', inputs > 1), place(c, 'pool.2', inputs > 2)];
  if (at.some((o) => o < 0)) return false;
  const out = (H >> 1) * (W >> 1) * 4, plane = H * W * 4;
  const strides = kernel === 'maxPool2x2' ? [plane, out, out] : [out, out, plane];
  const chunk = Math.max(1, Math.floor(CHUNK_VALUES / (H * W)));
  parallel(kernel, planes, chunk, 3, [...at, 0, H, W, 0], [...strides, 0, 0, 0, H * W]);
  if (inputs < 2) takeOut(b, at[1]);
  if (inputs < 3) takeOut(c, at[2]);
  return true;
}

/**
 * The window scan is branch-free: `best` moves to i when x[i] > x[best] or x[i] is NaN (PyTorch's
 * rule) through an integer mask, since data-dependent branches mispredict on random inputs.
 */
export const maxPool2d: MaxPool2DKernel = (x, attrs, y, argmaxT) => {
  const argmax = argmaxT.ints;
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = y.shape;
  const [kh, kw] = attrs.kernel, [sh, sw] = attrs.stride, [ph, pw] = attrs.padding;
  const xd = x.data, yd = y.data;
  if (isPlain2x2(attrs)) {
    if (!maxPool2x2Simd('maxPool2x2', N * C, H, W, [xd, yd, argmax], 1)) maxPool2x2(xd, N * C, H, W, OH, OW, yd, argmax);
    return;
  }
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(oh * sh - ph, 0), h1 = Math.min(oh * sh - ph + kh, H);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = Math.max(ow * sw - pw, 0), w1 = Math.min(ow * sw - pw + kw, W);
        let best = base + h0 * W + w0;
        for (let h = h0; h < h1; h++) {
          for (let i = base + h * W + w0, end = base + h * W + w1; i < end; i++) {
            const v = xd[i];
            best ^= (best ^ i) & -(+(v > xd[best]) | +(v !== v));
          }
        }
        yd[o] = xd[best];
        argmax[o] = best;
      }
    }
  }
};

/**
 * The common 2×2, stride 2 case, unrolled as a tree: the best of each row pair, then of the two
 * (the same choice as the general loop's left-to-right scan: first maximum, or last NaN).
 */
function maxPool2x2(
  xd: Float32Array, planes: number, H: number, W: number, OH: number, OW: number, yd: Float32Array, argmax: Int32Array,
): void {
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    for (let oh = 0; oh < OH; oh++) {
      const row = plane * H * W + 2 * oh * W;
      for (let ow = 0; ow < OW; ow++, o++) {
        const i0 = row + 2 * ow, i2 = i0 + W;
        const v0 = xd[i0], v1 = xd[i0 + 1], v2 = xd[i2], v3 = xd[i2 + 1];
        const top = i0 + (+(v1 > v0) | +(v1 !== v1));
        const bottom = i2 + (+(v3 > v2) | +(v3 !== v3));
        const vb = xd[bottom];
        const best = top ^ ((top ^ bottom) & -(+(vb > xd[top]) | +(vb !== vb)));
        yd[o] = xd[best];
        argmax[o] = best;
      }
    }
  }
}

export const maxPool2dGrad: MaxPool2DGradKernel = (dy, argmaxT, dx, attrs) => {
  const argmax = argmaxT.ints;
  const g = dy.data, out = dx.data;
  const [N, C, H, W] = dx.shape;
  if (isPlain2x2(attrs)) {
    if ((H | W) & 1) out.fill(0); // values outside every window (the SIMD kernel writes only windows)
    if (maxPool2x2Simd('maxPool2x2Grad', N * C, H, W, [g, argmax, out], 2)) return;
  }
  out.fill(0);
  for (let i = 0; i < g.length; i++) out[argmax[i]] += g[i];
};

export const avgPool2d: AvgPool2DKernel = (x, attrs, y) => {
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = y.shape;
  const [kh, kw] = attrs.kernel, [sh, sw] = attrs.stride, [ph, pw] = attrs.padding;
  const inv = 1 / (kh * kw);
  const xd = x.data, yd = y.data;
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(oh * sh - ph, 0), h1 = Math.min(oh * sh - ph + kh, H);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = Math.max(ow * sw - pw, 0), w1 = Math.min(ow * sw - pw + kw, W);
        let s = 0;
        for (let h = h0; h < h1; h++) {
          for (let i = base + h * W + w0, end = base + h * W + w1; i < end; i++) s += xd[i];
        }
        yd[o] = s * inv;
      }
    }
  }
};

export const avgPool2dGrad: AvgPool2DGradKernel = (dy, attrs, dx) => {
  const [N, C, H, W] = dx.shape;
  const [, , OH, OW] = dy.shape;
  const [kh, kw] = attrs.kernel, [sh, sw] = attrs.stride, [ph, pw] = attrs.padding;
  const inv = 1 / (kh * kw);
  const g = dy.data, out = dx.data;
  out.fill(0);
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(oh * sh - ph, 0), h1 = Math.min(oh * sh - ph + kh, H);
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = Math.max(ow * sw - pw, 0), w1 = Math.min(ow * sw - pw + kw, W);
        const v = g[o] * inv;
        for (let h = h0; h < h1; h++) {
          for (let i = base + h * W + w0, end = base + h * W + w1; i < end; i++) out[i] += v;
        }
      }
    }
  }
};

export const poolKernels = {
  MaxPool2D: maxPool2d,
  MaxPool2DGrad: maxPool2dGrad,
  AvgPool2D: avgPool2d,
  AvgPool2DGrad: avgPool2dGrad,
} satisfies Partial<KernelSignatures>;
