/**
 * Max and average 2-D pooling on the CPU, PyTorch semantics (floor mode): max pooling treats
 * padding as −∞ and propagates NaN; average pooling counts the padding (count_include_pad=true).
 * argmax holds flat indices into x.
 */
import type { AvgPool2DGradKernel, AvgPool2DKernel, MaxPool2DGradKernel, MaxPool2DKernel, KernelSignatures } from '../../ops/kernels';

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
  if (kh === 2 && kw === 2 && sh === 2 && sw === 2 && ph === 0 && pw === 0) {
    maxPool2x2(xd, N * C, H, W, OH, OW, yd, argmax);
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

export const maxPool2dGrad: MaxPool2DGradKernel = (dy, argmaxT, dx) => {
  const argmax = argmaxT.ints;
  const g = dy.data, out = dx.data;
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
