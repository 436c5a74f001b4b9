/** Per-BN-layer statistics and gradient norms for the stats stream (events.ts). */
import type { BnLayerStats, GradNorm, Histogram } from './events';
import { BatchNorm } from './layers/batchnorm';
import type { Sequential } from './model';
import { readFloats } from './backend';
import { Tensor } from './tensor';

/** Histogram of the finite values (strided down to at most `maxSamples` values). */
export function histogram(data: Float32Array, bins = 32, maxSamples = 1 << 16): Histogram {
  const stride = Math.max(1, Math.floor(data.length / maxSamples));
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < data.length; i += stride) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array<number>(bins).fill(0);
  if (!(min <= max)) return { min: 0, max: 0, counts };
  const width = (max - min) / bins || 1;
  for (let i = 0; i < data.length; i += stride) {
    const v = data[i];
    if (Number.isFinite(v)) counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  }
  return { min, max, counts };
}

/** Per-channel mean and biased variance of an [N, C, ...] tensor. */
export function channelMoments(x: Tensor): { mean: number[]; variance: number[] } {
  const [n, c] = x.shape;
  const plane = x.size / (n * c);
  const mean = new Array<number>(c).fill(0), variance = new Array<number>(c).fill(0);
  for (let ch = 0; ch < c; ch++) {
    let s = 0, s2 = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * plane;
      for (let p = 0; p < plane; p++) s += x.data[o + p];
    }
    const m = s / (n * plane);
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * plane;
      for (let p = 0; p < plane; p++) s2 += (x.data[o + p] - m) ** 2;
    }
    mean[ch] = m;
    variance[ch] = s2 / (n * plane);
  }
  return { mean, variance };
}

/**
 * Stats of every BN layer after its last forward. Every value is snapshotted when this is called
 * (call it before the next forward or optimizer step changes them); the promise resolves later.
 */
export function collectBnStats(model: Sequential, bins = 32): Promise<BnLayerStats[]> {
  const values = (t: Tensor | null | undefined) => (t ? readFloats(t) : Promise.resolve(null));
  const pending = model.layers.flatMap((layer, i) => {
    if (!(layer instanceof BatchNorm) || !layer.lastInput || !layer.lastOutput) return [];
    const reads = [
      layer.lastInput, layer.lastOutput, layer.lastMean, layer.lastVar, layer.runningMean, layer.runningVar, layer.weight?.value, layer.bias?.value,
      layer.lastGhostMean, layer.lastGhostVar, layer.lastRenorm?.r, layer.lastRenorm?.d,
    ].map(values);
    const rows = (v: Float32Array | null) => (v ? Array.from({ length: v.length / layer.numFeatures }, (_, k) => Array.from(v.subarray(k * layer.numFeatures, (k + 1) * layer.numFeatures))) : []);
    return [Promise.all(reads).then(([input, output, mean, variance, runningMean, runningVar, gamma, beta, ghostMean, ghostVar, r, d]): BnLayerStats => {
      const moments = mean && variance
        ? { mean: Array.from(mean), variance: Array.from(variance) }
        : channelMoments(new Tensor(layer.lastInput!.shape, input!));
      return {
        layer: i,
        channels: layer.numFeatures,
        batchMean: moments.mean,
        batchVar: moments.variance,
        runningMean: runningMean ? Array.from(runningMean) : [],
        runningVar: runningVar ? Array.from(runningVar) : [],
        gamma: gamma ? Array.from(gamma) : null,
        beta: beta ? Array.from(beta) : null,
        histBefore: histogram(input!, bins),
        histAfter: histogram(output!, bins),
        ...(ghostMean && ghostVar ? { ghost: { mean: rows(ghostMean), variance: rows(ghostVar) } } : {}),
        ...(r && d ? { renorm: { r: Array.from(r), d: Array.from(d) } } : {}),
      };
    })];
  });
  return Promise.all(pending);
}

/** L2 norm of all parameter gradients of each layer that has parameters (snapshotted at the call). */
export function gradNorms(model: Sequential): Promise<GradNorm[]> {
  const pending = model.layers.flatMap((layer, i) => {
    const ps = layer.params();
    if (!ps.length) return [];
    return [Promise.all(ps.map((p) => readFloats(p.grad))).then((grads): GradNorm => {
      let s = 0;
      for (const g of grads) for (const v of g) s += v * v;
      return { layer: i, kind: layer.kind, norm: Math.sqrt(s) };
    })];
  });
  return Promise.all(pending);
}
