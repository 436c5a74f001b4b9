/**
 * Conv2D on the CPU: im2col + matmul per image and group. Forward and input gradient use the
 * "channel-major" column layout cols[taps, P] (one row of OH·OW values per filter tap q = (c, ki, kj));
 * the filter gradient uses the "patch-major" layout cols[P, taps] (one row per output pixel), so
 * each product reads its operands in the layout the GEMM wants.
 */
import type { Conv2DAttrs } from '../../kernel-names';
import type { Conv2DBackpropFilterKernel, Conv2DBackpropInputKernel, Conv2DKernel, KernelSignatures } from '../../ops/kernels';
import { copyRows, matmul, matmulFilled, type Fill } from './gemm';
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
 * im2col with element (q, p) at cols[colsOff + q·qStride + p·pStride], for tap q = (c, ki, kj) and
 * output pixel p = (oh, ow): the input value x[c, oh·sh − ph + ki·dh, ow·sw − pw + kj·dw], 0 in the
 * padding. Channel-major layout [taps, P]: qStride = P, pStride = 1; patch-major [P, taps]:
 * qStride = 1, pStride = taps. Each channel is first copied into a zero-padded plane, so the copy
 * loops need no bounds checks.
 */
function im2col(
  x: Float32Array, xOff: number, g: Geometry, cols: Float32Array, colsOff: number, qStride: number, pStride: number,
): void {
  const { Cg, H, W, KH, KW, OH, OW } = g;
  const [sh, sw] = g.attrs.stride, [ph, pw] = g.attrs.padding, [dh, dw] = g.attrs.dilation;
  const Hp = H + 2 * ph, Wp = W + 2 * pw;
  const xp = scratch('conv.padded', Hp * Wp);
  xp.fill(0, 0, Hp * Wp);
  let q = 0;
  for (let c = 0; c < Cg; c++) {
    for (let h = 0; h < H; h++) {
      const from = xOff + (c * H + h) * W, to = (h + ph) * Wp + pw;
      for (let w = 0; w < W; w++) xp[to + w] = x[from + w];
    }
    for (let ki = 0; ki < KH; ki++) {
      for (let kj = 0; kj < KW; kj++, q++) {
        for (let oh = 0; oh < OH; oh++) {
          let o = colsOff + q * qStride + oh * OW * pStride;
          let i = (oh * sh + ki * dh) * Wp + kj * dw;
          for (let ow = 0; ow < OW; ow++, o += pStride, i += sw) cols[o] = xp[i];
        }
      }
    }
  }
}

/** The adjoint of im2col (channel-major): dx[c, ih, iw] += cols[q·P + p], through a padded plane. */
function col2im(cols: Float32Array, g: Geometry, dx: Float32Array, dxOff: number): void {
  const { Cg, H, W, KH, KW, OH, OW, P } = g;
  const [sh, sw] = g.attrs.stride, [ph, pw] = g.attrs.padding, [dh, dw] = g.attrs.dilation;
  const Hp = H + 2 * ph, Wp = W + 2 * pw;
  const dxp = scratch('conv.padded', Hp * Wp);
  let q = 0;
  for (let c = 0; c < Cg; c++) {
    dxp.fill(0, 0, Hp * Wp);
    for (let ki = 0; ki < KH; ki++) {
      for (let kj = 0; kj < KW; kj++, q++) {
        for (let oh = 0; oh < OH; oh++) {
          let o = q * P + oh * OW;
          let i = (oh * sh + ki * dh) * Wp + kj * dw;
          for (let ow = 0; ow < OW; ow++, o++, i += sw) dxp[i] += cols[o];
        }
      }
    }
    for (let h = 0; h < H; h++) {
      const to = dxOff + (c * H + h) * W, from = (h + ph) * Wp + pw;
      for (let w = 0; w < W; w++) dx[to + w] += dxp[from + w];
    }
  }
}

export const conv2dForward: Conv2DKernel = (x, w, b, attrs, y) => {
  const g = geometry(x.shape, w.shape, y.shape, attrs);
  const { N, C, H, W, O, Cg, Og, G, taps, P } = g;
  // With a bias, A gets a column of biases and B a row of ones: y = [w | b] · [cols; 1].
  const K = b ? taps + 1 : taps;
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < G; gi++) {
      // y[Og, P] = w[Og, taps] · cols[taps, P], with im2col writing cols into the GEMM's buffer
      const fillW: Fill = (dst, off, ld) => {
        copyRows(w.data, gi * Og * taps, taps, Og, taps, dst, off, ld);
        if (b) for (let o = 0; o < Og; o++) dst[off + o * ld + taps] = b.data[gi * Og + o];
      };
      const fillCols: Fill = (dst, off, ld) => {
        im2col(x.data, (n * C + gi * Cg) * H * W, g, dst, off, ld, 1);
        if (b) dst.fill(1, off + taps * ld, off + taps * ld + P);
      };
      matmulFilled(Og, P, K, fillW, fillCols, y.data, (n * O + gi * Og) * P, P, false);
    }
  }
};

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
 * [dw | db] = Σ over images of dy[Og, P] · [cols[P, taps] | 1]: one product per chunk of images
 * (K = images·P) and group, so the reduction over the batch is summed in the GEMM's float64
 * accumulator; the column of ones makes the bias gradient (Σ dy) come out of the same product.
 */
export const conv2dBackpropFilter: Conv2DBackpropFilterKernel = (dy, x, attrs, dw, db) => {
  const g = geometry(x.shape, dw.shape, dy.shape, attrs);
  const { N, C, H, W, O, Cg, Og, G, taps, P } = g;
  const chunk = Math.max(1, Math.min(N, Math.floor(FILTER_GRAD_CHUNK / (P * taps))));
  const dyd = dy.data;
  const grads = scratch('conv.dwdb', Og * (taps + 1));
  for (let gi = 0; gi < G; gi++) {
    grads.fill(0);
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const count = Math.min(chunk, N - n0);
      const fillDy: Fill = (dst, off, ld) => {
        for (let n = n0; n < n0 + count; n++) {
          for (let o = 0; o < Og; o++) copyRows(dyd, (n * O + gi * Og + o) * P, P, 1, P, dst, off + o * ld + (n - n0) * P, P);
        }
      };
      const fillCols: Fill = (dst, off, ld) => {
        for (let n = n0; n < n0 + count; n++) im2col(x.data, (n * C + gi * Cg) * H * W, g, dst, off + (n - n0) * P * ld, 1, ld);
        for (let k = 0; k < count * P; k++) dst[off + k * ld + taps] = 1;
      };
      matmulFilled(Og, taps + 1, count * P, fillDy, fillCols, grads, 0, taps + 1, n0 > 0);
    }
    for (let o = 0; o < Og; o++) {
      copyRows(grads, o * (taps + 1), taps + 1, 1, taps, dw.data, (gi * Og + o) * taps, taps);
      db.data[gi * Og + o] = grads[o * (taps + 1) + taps];
    }
  }
};

export const convKernels = {
  Conv2D: conv2dForward,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
} satisfies Partial<KernelSignatures>;
