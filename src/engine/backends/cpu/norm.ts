/**
 * Batch, group and layer normalization on the CPU. Statistics and gradient sums accumulate in
 * float64 (mean first, then squared deviations from it, as in PyTorch's CPU kernels); tensors are
 * stored as float32.
 * Layout [N, C, ...rest]: S = product of rest (1 for [N, C]).
 */
import type { Tensor } from '../../tensor';
import type {
  BatchNormTrainOut, NormGrads, NormOut, BatchNormBackwardKernel, BatchNormInferKernel, BatchNormTrainKernel, BatchRenormCorrectionKernel,
  GroupNormBackwardKernel, GroupNormKernel, LayerNormBackwardKernel, LayerNormKernel, KernelSignatures } from '../../ops/kernels';
import { zeroedScratch64 } from './scratch';
import { scratchAt, views } from './heap';
import { place, simdKernels, takeOut } from './simd';
import { parallel } from './threads';

function dims(x: Tensor): { N: number; C: number; S: number } {
  const N = x.shape[0];
  const C = x.shape[1];
  return { N, C, S: N * C === 0 ? 0 : x.size / (N * C) };
}

/** xhat = (x - mean)·invStd; y = xhat·gamma + beta, per channel. */
function normalizeChannels(
  x: Float32Array, mean: ArrayLike<number>, invStd: ArrayLike<number>, gamma: Tensor | null, beta: Tensor | null,
  N: number, C: number, S: number, xhat: Float32Array, y: Float32Array,
): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const m = mean[c], is = invStd[c];
      const g = gamma ? gamma.data[c] : 1, b = beta ? beta.data[c] : 0;
      const start = (n * C + c) * S, end = start + S;
      for (let i = start; i < end; i++) {
        const h = (x[i] - m) * is;
        xhat[i] = h;
        y[i] = h * g + b;
      }
    }
  }
}

/** Planes of at least this many values go through the SIMD kernels (not BN1d's planes of 1). */
const SIMD_MIN_PLANE = 16;
/** About this many values per parallel chunk (whole images, so that a chunk starts at channel 0). */
const CHUNK_VALUES = 1 << 16;

/** Heap offsets of a SIMD batch norm pass, or null (plain JS) for short planes or without SIMD. */
interface SimdPass {
  /** the three tensors' offsets (inputs copied in where they live outside the heap) */
  at: [number, number, number];
  /** per-plane float64 sums, and 4 float32 coefficients per channel */
  sumsAt: number;
  paramsAt: number;
  /** planes per parallel chunk */
  chunk: number;
}

function simdPass(N: number, C: number, S: number, [t0, t1, t2]: [Float32Array, Float32Array, Float32Array], inputs: number): SimdPass | null {
  if (S < SIMD_MIN_PLANE || !simdKernels()) return null;
  const at: [number, number, number] = [place(t0, 'bn.0', inputs > 0), place(t1, 'bn.1', inputs > 1), place(t2, 'bn.2', inputs > 2)];
  const sumsAt = scratchAt('bn.sums', 16 * N * C), paramsAt = scratchAt('bn.params', 16 * C);
  if (at.some((o) => o < 0) || sumsAt < 0 || paramsAt < 0) return null;
  return { at, sumsAt, paramsAt, chunk: C * Math.max(1, Math.floor(CHUNK_VALUES / (C * S))) };
}

/**
 * Batch statistics in one pass over memory: each (n, c) plane's sum and squared deviations from its
 * own mean are taken while the plane is in L1 cache (planeStats in simd.wat, or the loop below),
 * then merged per channel (Chan et al.): M2 = Σ M2_plane + Σ S·(mean_plane − mean)².
 */
export const batchNormTrain: BatchNormTrainKernel = (x, gamma, beta, eps, out) => {
  const { N, C, S } = dims(x);
  const M = N * S;
  const simd = simdPass(N, C, S, [x.data, out.xhat.data, out.y.data], 1);
  if (S === 1) return batchNorm1dTrain(x.data, gamma, beta, eps, N, C, out);
  const planeSums = zeroedScratch64('bn.planeSums', 2 * N * C); // per plane: sum, M2
  if (simd) {
    const [xAt] = simd.at;
    parallel('planeStats', N * C, simd.chunk, 2, [xAt, S, 0, simd.sumsAt], [4 * S, 0, 0, 16]);
    planeSums.set(views()!.f64.subarray(simd.sumsAt >> 3, (simd.sumsAt >> 3) + 2 * N * C));
  } else {
    const xd = x.data;
    for (let p = 0; p < N * C; p++) {
      const start = p * S, end = start + S;
      let s = 0;
      for (let i = start; i < end; i++) s += xd[i];
      const pm = s / S;
      let sq = 0;
      for (let i = start; i < end; i++) {
        const d = xd[i] - pm;
        sq += d * d;
      }
      planeSums[2 * p] = s;
      planeSums[2 * p + 1] = sq;
    }
  }
  const mean = zeroedScratch64('bn.mean', C);
  const m2 = zeroedScratch64('bn.m2', C);
  for (let p = 0; p < N * C; p++) mean[p % C] += planeSums[2 * p];
  for (let c = 0; c < C; c++) mean[c] /= M;
  for (let p = 0; p < N * C; p++) {
    const d = planeSums[2 * p] / S - mean[p % C];
    m2[p % C] += planeSums[2 * p + 1] + S * d * d;
  }
  const invStd = batchStatistics(mean, m2, M, eps, C, out);
  if (simd) normalizeSimd(simd, mean, invStd, gamma, beta, N, C, S, out);
  else normalizeChannels(x.data, mean, invStd, gamma, beta, N, C, S, out.xhat.data, out.y.data);
};

/** Writes mean, biased and unbiased variance and 1/√(var + eps) from M values' mean and M2 per channel; returns the float64 1/√(var + eps). */
function batchStatistics(mean: Float64Array, m2: Float64Array, M: number, eps: number, C: number, out: BatchNormTrainOut): Float64Array {
  const invStd = zeroedScratch64('bn.invStd', C);
  for (let c = 0; c < C; c++) {
    const varBiased = m2[c] / M;
    invStd[c] = 1 / Math.sqrt(varBiased + eps);
    out.mean.data[c] = mean[c];
    out.varBiased.data[c] = varBiased;
    out.varUnbiased.data[c] = M > 1 ? m2[c] / (M - 1) : NaN;
    out.invStd.data[c] = invStd[c];
  }
  return invStd;
}

/**
 * BN over [N, C] (planes of one value): the same float64 arithmetic as the plane path (mean, then
 * squared deviations from it, in sample order), in loops over rows instead of N·C planes of one.
 */
function batchNorm1dTrain(x: Float32Array, gamma: Tensor | null, beta: Tensor | null, eps: number, N: number, C: number, out: BatchNormTrainOut): void {
  const mean = zeroedScratch64('bn.mean', C), m2 = zeroedScratch64('bn.m2', C);
  for (let n = 0; n < N; n++) for (let c = 0, i = n * C; c < C; c++, i++) mean[c] += x[i];
  for (let c = 0; c < C; c++) mean[c] /= N;
  for (let n = 0; n < N; n++) {
    for (let c = 0, i = n * C; c < C; c++, i++) {
      const d = x[i] - mean[c];
      m2[c] += d * d;
    }
  }
  const invStd = batchStatistics(mean, m2, N, eps, C, out);
  const g = zeroedScratch64('bn.gamma', C), b = zeroedScratch64('bn.beta', C);
  for (let c = 0; c < C; c++) {
    g[c] = gamma ? gamma.data[c] : 1;
    b[c] = beta ? beta.data[c] : 0;
  }
  const xhat = out.xhat.data, y = out.y.data;
  for (let n = 0; n < N; n++) {
    for (let c = 0, i = n * C; c < C; c++, i++) {
      const h = (x[i] - mean[c]) * invStd[c];
      xhat[i] = h;
      y[i] = h * g[c] + b[c];
    }
  }
}

/** normalizeChannels with the planeAffine kernel (float32 arithmetic), x, xhat and y at simd.at. */
function normalizeSimd(
  simd: SimdPass, mean: ArrayLike<number>, invStd: ArrayLike<number>, gamma: Tensor | null, beta: Tensor | null,
  N: number, C: number, S: number, out: NormOut,
): void {
  const { f32 } = views()!;
  const p = simd.paramsAt >> 2;
  for (let c = 0; c < C; c++) {
    f32[p + 4 * c] = mean[c];
    f32[p + 4 * c + 1] = invStd[c];
    f32[p + 4 * c + 2] = gamma ? gamma.data[c] : 1;
    f32[p + 4 * c + 3] = beta ? beta.data[c] : 0;
  }
  const [xAt, xhatAt, yAt] = simd.at;
  parallel('planeAffine', N * C, simd.chunk, 5, [xAt, 0, xhatAt, yAt, S, 0, C, simd.paramsAt, 0], [4 * S, 0, 4 * S, 4 * S, 0, 0, 0, 0, 0]);
  takeOut(out.xhat.data, xhatAt);
  takeOut(out.y.data, yAt);
}

export const batchNormInfer: BatchNormInferKernel = (x, mean, variance, gamma, beta, eps, out) => {
  const { N, C, S } = dims(x);
  const invStd = zeroedScratch64('bn.invStd', C);
  for (let c = 0; c < C; c++) {
    invStd[c] = 1 / Math.sqrt(variance.data[c] + eps);
    out.invStd.data[c] = invStd[c];
  }
  const simd = simdPass(N, C, S, [x.data, out.xhat.data, out.y.data], 1);
  if (simd) normalizeSimd(simd, mean.data, invStd, gamma, beta, N, C, S, out);
  else normalizeChannels(x.data, mean.data, invStd, gamma, beta, N, C, S, out.xhat.data, out.y.data);
};

export const batchNormBackward: BatchNormBackwardKernel = (dy, xhat, invStd, gamma, training, out) => {
  const { N, C, S } = dims(dy);
  const M = N * S;
  const dyd = dy.data, xh = xhat.data, dx = out.dx.data;
  const simd = simdPass(N, C, S, [dyd, xh, dx], 2);
  if (S === 1) return batchNorm1dBackward(dyd, xh, invStd.data, gamma, training, N, C, out);
  // Per plane Σ dy and Σ dy·xhat, then per channel.
  const planeSums = zeroedScratch64('bn.planeSums', 2 * N * C);
  if (simd) {
    const [dyAt, xhatAt] = simd.at;
    parallel('planeGradSums', N * C, simd.chunk, 3, [dyAt, xhatAt, S, 0, simd.sumsAt], [4 * S, 4 * S, 0, 0, 16]);
    planeSums.set(views()!.f64.subarray(simd.sumsAt >> 3, (simd.sumsAt >> 3) + 2 * N * C));
  } else {
    for (let p = 0; p < N * C; p++) {
      const start = p * S, end = start + S;
      let s1 = 0, s2 = 0;
      for (let i = start; i < end; i++) {
        const g = dyd[i];
        s1 += g;
        s2 += g * xh[i];
      }
      planeSums[2 * p] = s1;
      planeSums[2 * p + 1] = s2;
    }
  }
  const sumDy = zeroedScratch64('bn.sumDy', C);
  const sumDyXhat = zeroedScratch64('bn.sumDyXhat', C);
  for (let p = 0; p < N * C; p++) {
    sumDy[p % C] += planeSums[2 * p];
    sumDyXhat[p % C] += planeSums[2 * p + 1];
  }
  for (let c = 0; c < C; c++) {
    out.dgamma.data[c] = sumDyXhat[c];
    out.dbeta.data[c] = sumDy[c];
  }
  // training: dx = γ·invStd·(dy − mean(dy) − xhat·mean(dy·xhat)); eval: dx = γ·invStd·dy
  const scale = (c: number) => (gamma ? gamma.data[c] : 1) * invStd.data[c];
  const meanDy = (c: number) => (training ? sumDy[c] / M : 0);
  const meanDyXhat = (c: number) => (training ? sumDyXhat[c] / M : 0);
  if (simd) {
    const { f32 } = views()!;
    const p = simd.paramsAt >> 2;
    for (let c = 0; c < C; c++) {
      f32[p + 4 * c] = scale(c);
      f32[p + 4 * c + 1] = meanDy(c);
      f32[p + 4 * c + 2] = meanDyXhat(c);
    }
    const [dyAt, xhatAt, dxAt] = simd.at;
    parallel('planeAffine', N * C, simd.chunk, 5, [dyAt, xhatAt, dxAt, 0, S, 0, C, simd.paramsAt, 1], [4 * S, 4 * S, 4 * S, 0, 0, 0, 0, 0, 0]);
    takeOut(dx, dxAt);
    return;
  }
  for (let p = 0; p < N * C; p++) {
    const c = p % C, k0 = scale(c), k1 = meanDy(c), k2 = meanDyXhat(c);
    const start = p * S, end = start + S;
    for (let i = start; i < end; i++) dx[i] = k0 * (dyd[i] - k1 - xh[i] * k2);
  }
};

/** batchNormBackward over [N, C]: the plane path's float64 arithmetic in loops over rows. */
function batchNorm1dBackward(
  dy: Float32Array, xhat: Float32Array, invStd: Float32Array, gamma: Tensor | null, training: boolean, N: number, C: number, out: NormGrads,
): void {
  const sumDy = zeroedScratch64('bn.sumDy', C), sumDyXhat = zeroedScratch64('bn.sumDyXhat', C);
  for (let n = 0; n < N; n++) {
    for (let c = 0, i = n * C; c < C; c++, i++) {
      const g = dy[i];
      sumDy[c] += g;
      sumDyXhat[c] += g * xhat[i];
    }
  }
  const k0 = zeroedScratch64('bn.k0', C), k1 = zeroedScratch64('bn.k1', C), k2 = zeroedScratch64('bn.k2', C);
  for (let c = 0; c < C; c++) {
    out.dgamma.data[c] = sumDyXhat[c];
    out.dbeta.data[c] = sumDy[c];
    k0[c] = (gamma ? gamma.data[c] : 1) * invStd[c];
    k1[c] = training ? sumDy[c] / N : 0;
    k2[c] = training ? sumDyXhat[c] / N : 0;
  }
  const dx = out.dx.data;
  for (let n = 0; n < N; n++) for (let c = 0, i = n * C; c < C; c++, i++) dx[i] = k0[c] * (dy[i] - k1[c] - xhat[i] * k2[c]);
}

export const batchRenormCorrection: BatchRenormCorrectionKernel = (mean, varBiased, runningMean, runningVar, numBatchesTracked, a, out) => {
  const f = a.warmup > 0 ? Math.min(1, numBatchesTracked.data[0] / a.warmup) : 1;
  const rmax = 1 + (a.rmax - 1) * f, dmax = a.dmax * f;
  for (let c = 0; c < mean.size; c++) {
    const sigmaB = Math.sqrt(varBiased.data[c] + a.eps), sigma = Math.sqrt(runningVar.data[c] + a.eps);
    const r = Math.min(rmax, Math.max(1 / rmax, sigmaB / sigma));
    const d = Math.min(dmax, Math.max(-dmax, (mean.data[c] - runningMean.data[c]) / sigma));
    out.r.data[c] = r;
    out.d.data[c] = d;
    out.mean.data[c] = mean.data[c] - (d * sigmaB) / r;
    out.variance.data[c] = (sigmaB / r) ** 2 - a.eps;
  }
};

/**
 * Group and layer norm share one shape: R contiguous blocks (one per sample and group, or per row),
 * each made of `runs` runs of `runLen` values that share one affine index:
 *   group norm: runs = C/groups channels of S pixels, affine index (r % groups)·runs + run;
 *   layer norm: runs = D single values, affine index = position in the row (groups = 1).
 * xhat = (x − mean)·invStd with mean and biased variance per block; y = xhat·gamma + beta.
 */
interface Blocks {
  R: number;
  runs: number;
  runLen: number;
  groups: number;
}

function normalizeBlocks(
  x: Float32Array, b: Blocks, eps: number, gamma: Tensor | null, beta: Tensor | null,
  xhat: Float32Array, y: Float32Array, invStdOut: Float32Array,
): void {
  const { R, runs, runLen, groups } = b;
  const D = runs * runLen;
  for (let r = 0; r < R; r++) {
    const start = r * D, end = start + D;
    let s = 0;
    for (let i = start; i < end; i++) s += x[i];
    const mean = s / D;
    let sq = 0;
    for (let i = start; i < end; i++) {
      const d = x[i] - mean;
      sq += d * d;
    }
    const invStd = 1 / Math.sqrt(sq / D + eps);
    invStdOut[r] = invStd;
    const base = (r % groups) * runs;
    for (let run = 0; run < runs; run++) {
      const g = gamma ? gamma.data[base + run] : 1, bt = beta ? beta.data[base + run] : 0;
      const from = start + run * runLen, to = from + runLen;
      for (let i = from; i < to; i++) {
        const h = (x[i] - mean) * invStd;
        xhat[i] = h;
        y[i] = h * g + bt;
      }
    }
  }
}

/** Backward of normalizeBlocks: dx per block, dgamma/dbeta summed per affine index in float64. */
function normalizeBlocksBackward(
  dy: Float32Array, xhat: Float32Array, invStd: Float32Array, b: Blocks, gamma: Tensor | null, out: NormGrads,
): void {
  const { R, runs, runLen, groups } = b;
  const D = runs * runLen;
  const affineSize = out.dgamma.size;
  const dg = zeroedScratch64('norm.dgamma', affineSize);
  const db = zeroedScratch64('norm.dbeta', affineSize);
  const dx = out.dx.data;
  for (let r = 0; r < R; r++) {
    const start = r * D;
    const base = (r % groups) * runs;
    // s1 = Σ dxhat, s2 = Σ dxhat·xhat with dxhat = dy·gamma
    let s1 = 0, s2 = 0;
    for (let run = 0; run < runs; run++) {
      const from = start + run * runLen, to = from + runLen;
      let sumDy = 0, sumDyXhat = 0;
      for (let i = from; i < to; i++) {
        sumDy += dy[i];
        sumDyXhat += dy[i] * xhat[i];
      }
      const g = gamma ? gamma.data[base + run] : 1;
      s1 += g * sumDy;
      s2 += g * sumDyXhat;
      dg[base + run] += sumDyXhat;
      db[base + run] += sumDy;
    }
    const is = invStd[r], m1 = s1 / D, m2 = s2 / D;
    for (let run = 0; run < runs; run++) {
      const g = gamma ? gamma.data[base + run] : 1;
      const from = start + run * runLen, to = from + runLen;
      for (let i = from; i < to; i++) dx[i] = is * (dy[i] * g - m1 - xhat[i] * m2);
    }
  }
  for (let k = 0; k < affineSize; k++) {
    out.dgamma.data[k] = dg[k];
    out.dbeta.data[k] = db[k];
  }
}

function groupBlocks(x: Tensor, groups: number): Blocks {
  const { N, C, S } = dims(x);
  return { R: N * groups, runs: C / groups, runLen: S, groups };
}

function layerBlocks(x: Tensor, D: number): Blocks {
  return { R: D === 0 ? 0 : x.size / D, runs: D, runLen: 1, groups: 1 };
}

export const groupNorm: GroupNormKernel = (x, groups, gamma, beta, eps, out) => {
  normalizeBlocks(x.data, groupBlocks(x, groups), eps, gamma, beta, out.xhat.data, out.y.data, out.invStd.data);
};

export const groupNormBackward: GroupNormBackwardKernel = (dy, xhat, invStd, gamma, groups, out) => {
  normalizeBlocksBackward(dy.data, xhat.data, invStd.data, groupBlocks(dy, groups), gamma, out);
};

export const layerNorm: LayerNormKernel = (x, D, gamma, beta, eps, out) => {
  normalizeBlocks(x.data, layerBlocks(x, D), eps, gamma, beta, out.xhat.data, out.y.data, out.invStd.data);
};

export const layerNormBackward: LayerNormBackwardKernel = (dy, xhat, invStd, gamma, out) => {
  const R = invStd.size;
  normalizeBlocksBackward(dy.data, xhat.data, invStd.data, layerBlocks(dy, R === 0 ? 0 : dy.size / R), gamma, out);
};

export const normKernels = {
  BatchNormTrain: batchNormTrain,
  BatchNormInfer: batchNormInfer,
  BatchNormBackward: batchNormBackward,
  BatchRenormCorrection: batchRenormCorrection,
  GroupNorm: groupNorm,
  GroupNormBackward: groupNormBackward,
  LayerNorm: layerNorm,
  LayerNormBackward: layerNormBackward,
} satisfies Partial<KernelSignatures>;
