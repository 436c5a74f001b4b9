/**
 * Conv2D on the CPU: im2col + matmul per image and group. Forward and input gradient use the
 * "channel-major" column layout cols[taps, P] (one row of OH·OW values per filter tap q = (c, ki, kj));
 * the filter gradient uses the "patch-major" layout cols[P, taps] (one row per output pixel), so
 * each product reads its operands in the layout the GEMM wants.
 */
import { registerKernel } from '../../kernel-registry';
import type { Conv2DAttrs } from '../../kernel-names';
import type { Tensor } from '../../tensor';
import type { Conv2DBackpropFilterKernel, Conv2DBackpropInputKernel, Conv2DKernel } from '../../ops/kernels';
import { matmul } from './gemm';
import { scratch } from './scratch';

/** Geometry shared by the three kernels. */
interface Geometry {
  N: number; C: number; H: number; W: number;
  O: number; Cg: number; Og: number; G: number;
  KH: number; KW: number; OH: number; OW: number;
  /** taps per output value (Cg·KH·KW) and output pixels per image (OH·OW) */
  taps: number; P: number;
  attrs: Conv2DAttrs;
}

function geometry(xShape: readonly number[], wShape: readonly number[], yShape: readonly number[], attrs: Conv2DAttrs): Geometry {
  const [N, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  const [, , OH, OW] = yShape;
  const G = attrs.groups;
  return { N, C, H, W, O, Cg, Og: O / G, G, KH, KW, OH, OW, taps: Cg * KH * KW, P: OH * OW, attrs };
}

/**
 * Output positions o whose input index o·stride − pad + offset lies in [0, size) form the range
 * [firstValid, endValid): splitting loops there keeps bounds checks out of the inner loops.
 */
function firstValid(stride: number, pad: number, offset: number): number {
  return Math.max(0, Math.ceil((pad - offset) / stride));
}

function endValid(outSize: number, stride: number, pad: number, offset: number, size: number): number {
  return Math.max(firstValid(stride, pad, offset), Math.min(outSize, Math.floor((size - 1 + pad - offset) / stride) + 1));
}

/**
 * im2col with element (q, p) at cols[q·qStride + p·pStride], for tap q = (c, ki, kj) and output
 * pixel p = (oh, ow): the input value x[c, oh·sh − ph + ki·dh, ow·sw − pw + kj·dw], 0 in the padding.
 * Channel-major layout [taps, P]: qStride = P, pStride = 1; patch-major [P, taps]: qStride = 1, pStride = taps.
 */
function im2col(
  x: Float32Array, xOff: number, g: Geometry, cols: Float32Array, colsOff: number, qStride: number, pStride: number,
): void {
  const { Cg, H, W, KH, KW, OH, OW } = g;
  const [sh, sw] = g.attrs.stride, [ph, pw] = g.attrs.padding, [dh, dw] = g.attrs.dilation;
  let q = 0;
  for (let c = 0; c < Cg; c++) {
    for (let ki = 0; ki < KH; ki++) {
      const ohLo = firstValid(sh, ph, ki * dh), ohHi = endValid(OH, sh, ph, ki * dh, H);
      for (let kj = 0; kj < KW; kj++, q++) {
        const owLo = firstValid(sw, pw, kj * dw), owHi = endValid(OW, sw, pw, kj * dw, W);
        for (let oh = 0; oh < OH; oh++) {
          let o = colsOff + q * qStride + oh * OW * pStride;
          if (oh < ohLo || oh >= ohHi) {
            for (let ow = 0; ow < OW; ow++, o += pStride) cols[o] = 0;
            continue;
          }
          const row = xOff + c * H * W + (oh * sh - ph + ki * dh) * W - pw + kj * dw;
          let ow = 0;
          for (; ow < owLo; ow++, o += pStride) cols[o] = 0;
          for (let i = row + ow * sw; ow < owHi; ow++, o += pStride, i += sw) cols[o] = x[i];
          for (; ow < OW; ow++, o += pStride) cols[o] = 0;
        }
      }
    }
  }
}

/** The adjoint of im2col (channel-major): dx[c, ih, iw] += cols[q·P + p]. */
function col2im(cols: Float32Array, g: Geometry, dx: Float32Array, dxOff: number): void {
  const { Cg, H, W, KH, KW, OH, OW, P } = g;
  const [sh, sw] = g.attrs.stride, [ph, pw] = g.attrs.padding, [dh, dw] = g.attrs.dilation;
  let q = 0;
  for (let c = 0; c < Cg; c++) {
    for (let ki = 0; ki < KH; ki++) {
      const ohLo = firstValid(sh, ph, ki * dh), ohHi = endValid(OH, sh, ph, ki * dh, H);
      for (let kj = 0; kj < KW; kj++, q++) {
        const owLo = firstValid(sw, pw, kj * dw), owHi = endValid(OW, sw, pw, kj * dw, W);
        for (let oh = ohLo; oh < ohHi; oh++) {
          const o = q * P + oh * OW;
          const row = dxOff + c * H * W + (oh * sh - ph + ki * dh) * W - pw + kj * dw;
          for (let ow = owLo, i = row + owLo * sw; ow < owHi; ow++, i += sw) dx[i] += cols[o + ow];
        }
      }
    }
  }
}

export const conv2dForward: Conv2DKernel = (x, w, b, attrs, y) => {
  const g = geometry(x.shape, w.shape, y.shape, attrs);
  const { N, C, H, W, O, Cg, Og, G, taps, P } = g;
  const cols = scratch('conv.cols', taps * P);
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < G; gi++) {
      im2col(x.data, (n * C + gi * Cg) * H * W, g, cols, 0, P, 1);
      // y[Og, P] = w[Og, taps] · cols[taps, P]
      matmul(false, false, Og, P, taps, w.data, gi * Og * taps, taps, cols, 0, P, y.data, (n * O + gi * Og) * P, P, false);
    }
  }
  if (b) addBias(y, b, N, O, P);
};

function addBias(y: Tensor, b: Tensor, N: number, O: number, P: number): void {
  const yd = y.data;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const bias = b.data[o];
      const start = (n * O + o) * P;
      for (let i = start; i < start + P; i++) yd[i] += bias;
    }
  }
}

export const conv2dBackpropInput: Conv2DBackpropInputKernel = (dy, w, attrs, dx) => {
  const g = geometry(dx.shape, w.shape, dy.shape, attrs);
  const { N, C, H, W, O, Cg, Og, G, taps, P } = g;
  const cols = scratch('conv.cols', taps * P);
  dx.data.fill(0);
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < G; gi++) {
      // dcols[taps, P] = w[Og, taps]ᵀ · dy[Og, P]
      matmul(true, false, taps, P, Og, w.data, gi * Og * taps, taps, dy.data, (n * O + gi * Og) * P, P, cols, 0, P, false);
      col2im(cols, g, dx.data, (n * C + gi * Cg) * H * W);
    }
  }
};

/** Values of im2col per chunk of images in the filter gradient (8 MiB). */
const FILTER_GRAD_CHUNK = 1 << 21;

/**
 * dw[Og, taps] = Σ over images of dy[Og, P] · cols[P, taps], as one product per chunk of images
 * (K = images·P), so the whole reduction over the batch is summed in the GEMM's float64 accumulator.
 */
export const conv2dBackpropFilter: Conv2DBackpropFilterKernel = (dy, x, attrs, dw, db) => {
  const g = geometry(x.shape, dw.shape, dy.shape, attrs);
  const { N, C, H, W, O, Cg, Og, G, taps, P } = g;
  const chunk = Math.max(1, Math.min(N, Math.floor(FILTER_GRAD_CHUNK / (P * taps))));
  const cols = scratch('conv.colsPM', chunk * P * taps);
  const dyChunk = scratch('conv.dyChunk', Og * chunk * P);
  const dyd = dy.data;
  if (N === 0) dw.data.fill(0);
  for (let gi = 0; gi < G; gi++) {
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const count = Math.min(chunk, N - n0), K = count * P;
      for (let n = n0; n < n0 + count; n++) {
        im2col(x.data, (n * C + gi * Cg) * H * W, g, cols, (n - n0) * P * taps, 1, taps);
        for (let o = 0; o < Og; o++) {
          const from = (n * O + gi * Og + o) * P;
          dyChunk.set(dyd.subarray(from, from + P), o * K + (n - n0) * P);
        }
      }
      matmul(false, false, Og, taps, K, dyChunk, 0, K, cols, 0, taps, dw.data, gi * Og * taps, taps, n0 > 0);
    }
  }
  for (let o = 0; o < O; o++) {
    let s = 0;
    for (let n = 0; n < N; n++) {
      const start = (n * O + o) * P, end = start + P;
      for (let i = start; i < end; i++) s += dyd[i];
    }
    db.data[o] = s;
  }
};

registerKernel({ kernelName: 'Conv2D', backendName: 'cpu', kernelFunc: conv2dForward });
registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'cpu', kernelFunc: conv2dBackpropInput });
registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'cpu', kernelFunc: conv2dBackpropFilter });
