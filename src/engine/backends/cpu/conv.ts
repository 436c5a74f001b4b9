/**
 * Conv2D on the CPU: im2col + matmul per image and group. With the SIMD kernels, forward and
 * filter gradient write the columns of the whole batch into the heap and run one GEMM per image,
 * the images split over the CPU threads. Forward and input gradient use the
 * "channel-major" column layout cols[taps, P] (one row of OH·OW values per filter tap q = (c, ki, kj));
 * the filter gradient uses the "patch-major" layout cols[P, taps] (one row per output pixel), so
 * each product reads its operands in the layout the GEMM wants.
 */
import type { Conv2DAttrs } from '../../kernel-names';
import type { Conv2DBackpropFilterKernel, Conv2DBackpropInputKernel, Conv2DKernel, KernelSignatures } from '../../ops/kernels';
import { KC, NT_KC, SHORT_K, copyRows, matmul, matmulFilled, type Fill } from './gemm';
import { heapOffset, scratchAt, views } from './heap';
import { scratch } from './scratch';
import { place, simdKernels } from './simd';
import { parallel } from './threads';

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

/** The SIMD kernel's im2col covers stride 1 and dilation 1 (the plain im2col below, the rest). */
function simdIm2col(g: Geometry): boolean {
  const { stride, dilation } = g.attrs;
  return stride[0] === 1 && stride[1] === 1 && dilation[0] === 1 && dilation[1] === 1;
}

/**
 * y[Og, P] = [w | b][Og, K] · [cols; 1][K, P] for every image at once on the SIMD kernel: the columns
 * of all images go into the heap, then one GEMM per image (a parallel chunk each). Returns false
 * (plain path) for long reductions, which want the float64 accumulation of matmul.
 */
function conv2dForwardSimd(x: Float32Array, w: Float32Array, b: Float32Array | null, g: Geometry, y: Float32Array): boolean {
  const { N, C, H, W, O, Cg, Og, G, taps, P } = g;
  const K = b ? taps + 1 : taps;
  if (K > SHORT_K || !simdKernels()) return false;
  const Mp = (Og + 3) & ~3, Pp = (P + 7) & ~7;
  const direct = Og % 4 === 0 && P % 8 === 0 && heapOffset(y) >= 0;
  const wAt = scratchAt('conv.w', Mp * K * 4), colsAt = scratchAt('conv.cols', N * K * Pp * 4);
  const yAt = direct ? heapOffset(y) : scratchAt('conv.y', N * Mp * Pp * 4);
  const xAt = simdIm2col(g) ? place(x, 'conv.x', true) : 0;
  if (wAt < 0 || colsAt < 0 || yAt < 0 || xAt < 0) return false;
  const { f32 } = views()!;
  const w0 = wAt >> 2, c0 = colsAt >> 2;
  for (let gi = 0; gi < G; gi++) {
    f32.fill(0, w0, w0 + Mp * K);
    copyRows(w, gi * Og * taps, taps, Og, taps, f32, w0, K);
    if (b) for (let o = 0; o < Og; o++) f32[w0 + o * K + taps] = b[gi * Og + o];
    const out = direct ? yAt + gi * Og * P * 4 : yAt, ld = direct ? P : Pp, perImage = direct ? O * P * 4 : Mp * Pp * 4;
    if (simdIm2col(g)) {
      // im2col and the product per image in one chunk: its columns are still in cache for the product
      const [ph, pw] = g.attrs.padding;
      parallel('convForward', N, 1, -1, [xAt + gi * Cg * H * W * 4, Cg, H, W, g.KH, g.KW, ph, pw, colsAt, Pp, K, wAt, Mp, out, ld],
        [C * H * W * 4, 0, 0, 0, 0, 0, 0, 0, K * Pp * 4, 0, 0, 0, 0, perImage, 0]);
    } else {
      for (let n = 0; n < N; n++) {
        const at = c0 + n * K * Pp;
        im2col(x, (n * C + gi * Cg) * H * W, g, f32, at, Pp, 1);
        if (b) f32.fill(1, at + taps * Pp, at + taps * Pp + P);
        if (Pp > P) for (let q = 0; q < K; q++) f32.fill(0, at + q * Pp + P, at + (q + 1) * Pp);
      }
      parallel('gemm', N, 1, -1, [Mp, Pp, K, wAt, K, colsAt, Pp, out, ld, 0, K], [0, 0, 0, 0, 0, K * Pp * 4, 0, perImage, 0, 0, 0]);
    }
    if (!direct) for (let n = 0; n < N; n++) copyRows(f32, (yAt >> 2) + n * Mp * Pp, Pp, Og, P, y, (n * O + gi * Og) * P, P);
  }
  return true;
}

export const conv2dForward: Conv2DKernel = (x, w, b, attrs, y) => {
  const g = geometry(x.shape, w.shape, y.shape, attrs);
  if (conv2dForwardSimd(x.data, w.data, b ? b.data : null, g, y.data)) return;
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
/**
 * The filter gradient on the SIMD kernel: per image a float64 partial [dw | db] = dy[Og, P] ·
 * [cols[P, taps] | 1] (a parallel chunk each, dy read in place), then the partials summed in image
 * order, so the result does not depend on the thread count. Returns false where it cannot run.
 */
function conv2dBackpropFilterSimd(dy: Float32Array, x: Float32Array, g: Geometry, grads: Float32Array): boolean {
  const { N, C, H, W, O, Cg, Og, G, taps, P } = g;
  if (Og % 4 !== 0 || !simdKernels()) return false;
  if (simdIm2col(g) && P % 4 === 0) return conv2dBackpropFilterNT(dy, x, g, grads);
  const Np = (taps + 1 + 7) & ~7, Mp = Og;
  const dyAt = place(dy, 'conv.dy', true), colsAt = scratchAt('conv.cols', N * P * Np * 4), partAt = scratchAt('conv.partials', N * Mp * Np * 8);
  const xAt = simdIm2col(g) ? place(x, 'conv.x', true) : 0;
  const [ph, pw] = g.attrs.padding, padded = Cg * (H + 2 * ph) * (W + 2 * pw) * 4;
  const padAt = simdIm2col(g) ? scratchAt('conv.pad', N * padded) : 0;
  if (dyAt < 0 || colsAt < 0 || partAt < 0 || xAt < 0 || padAt < 0) return false;
  const { f32, f64 } = views()!;
  const c0 = colsAt >> 2, p0 = partAt >> 3;
  for (let gi = 0; gi < G; gi++) {
    if (simdIm2col(g)) {
      parallel('im2col', N, 1, -1, [xAt + gi * Cg * H * W * 4, Cg, H, W, g.KH, g.KW, ph, pw, colsAt, 1, Np, Np, P, padAt],
        [C * H * W * 4, 0, 0, 0, 0, 0, 0, 0, P * Np * 4, 0, 0, 0, 0, padded]);
    } else {
      for (let n = 0; n < N; n++) {
        const at = c0 + n * P * Np;
        im2col(x, (n * C + gi * Cg) * H * W, g, f32, at, 1, Np);
        for (let p = 0; p < P; p++) {
          f32[at + p * Np + taps] = 1;
          f32.fill(0, at + p * Np + taps + 1, at + (p + 1) * Np);
        }
      }
    }
    f64.fill(0, p0, p0 + N * Mp * Np);
    parallel('gemm', N, 1, -1, [Mp, Np, P, dyAt + gi * Og * P * 4, P, colsAt, Np, partAt, Np, 1, KC],
      [0, 0, 0, O * P * 4, 0, P * Np * 4, 0, Mp * Np * 8, 0, 0, 0]);
    sumPartials(f64, p0, N, Mp, Np, g, gi, grads);
  }
  return true;
}

/** grads of group gi = the images' float64 partials ([rows, ld] each, from f64[p0]) summed in image order. */
function sumPartials(f64: Float64Array, p0: number, N: number, rows: number, ld: number, g: Geometry, gi: number, grads: Float32Array): void {
  const { Og, taps } = g;
  for (let o = 0; o < Og; o++) {
    for (let q = 0; q <= taps; q++) {
      let sum = 0;
      for (let n = 0; n < N; n++) sum += f64[p0 + (n * rows + o) * ld + q];
      grads[(gi * Og + o) * (taps + 1) + q] = sum;
    }
  }
}

/**
 * The filter gradient as dot products over the output pixels: per image a float64 partial
 * [dw | db][Og, taps + 1] = dy[Og, P] · [cols; 1][taps + 1, P]ᵀ (gemmNT, dy and the channel-major
 * columns both read along P), then the partials summed in image order. Needs P % 4 = 0.
 */
function conv2dBackpropFilterNT(dy: Float32Array, x: Float32Array, g: Geometry, grads: Float32Array): boolean {
  const { N, C, H, W, O, Cg, Og, G, taps, P } = g;
  const Kq = (taps + 2) & ~1; // the taps, the ones row, and a zero row to make them even
  const dyAt = place(dy, 'conv.dy', true), xAt = place(x, 'conv.x', true);
  const colsAt = scratchAt('conv.cols', N * Kq * P * 4), partAt = scratchAt('conv.partials', N * Og * Kq * 8);
  if (dyAt < 0 || xAt < 0 || colsAt < 0 || partAt < 0) return false;
  const [ph, pw] = g.attrs.padding;
  for (let gi = 0; gi < G; gi++) {
    parallel('im2col', N, 1, -1, [xAt + gi * Cg * H * W * 4, Cg, H, W, g.KH, g.KW, ph, pw, colsAt, P, 1, Kq, P, 0],
      [C * H * W * 4, 0, 0, 0, 0, 0, 0, 0, Kq * P * 4, 0, 0, 0, 0, 0]);
    const { f64 } = views()!, p0 = partAt >> 3;
    f64.fill(0, p0, p0 + N * Og * Kq);
    parallel('gemmNT', N, 1, -1, [Og, Kq, P, dyAt + gi * Og * P * 4, P, colsAt, P, partAt, Kq, 1, NT_KC],
      [0, 0, 0, O * P * 4, 0, Kq * P * 4, 0, Og * Kq * 8, 0, 0, 0]);
    sumPartials(f64, p0, N, Og, Kq, g, gi, grads);
  }
  return true;
}

export const conv2dBackpropFilter: Conv2DBackpropFilterKernel = (dy, x, attrs, dw, db) => {
  const g = geometry(x.shape, dw.shape, dy.shape, attrs);
  const { N, C, H, W, O, Cg, Og, G, taps, P } = g;
  const dyd = dy.data;
  // grads[o] = [dw[o] | db[o]], one row of taps + 1 per output channel
  const grads = scratch('conv.dwdb', O * (taps + 1));
  if (!conv2dBackpropFilterSimd(dyd, x.data, g, grads)) {
    const chunk = Math.max(1, Math.min(N, Math.floor(FILTER_GRAD_CHUNK / (P * taps))));
    for (let gi = 0; gi < G; gi++) {
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
        matmulFilled(Og, taps + 1, count * P, fillDy, fillCols, grads, gi * Og * (taps + 1), taps + 1, n0 > 0);
      }
    }
  }
  for (let o = 0; o < O; o++) {
    copyRows(grads, o * (taps + 1), taps + 1, 1, taps, dw.data, o * taps, taps);
    db.data[o] = grads[o * (taps + 1) + taps];
  }
};

export const convKernels = {
  Conv2D: conv2dForward,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
} satisfies Partial<KernelSignatures>;
