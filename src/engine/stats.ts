/** Per-BN-layer statistics and gradient norms for the stats stream (events.ts). */
import type { BnLayerStats, GradNorm, Histogram } from './events';
import { BatchNorm } from './layers/batchnorm';
import type { Sequential } from './model';
import type { Tensor } from './tensor';

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

/** Stats of every BN layer after its last forward (call before the next forward overwrites buffers). */
export function collectBnStats(model: Sequential, bins = 32): BnLayerStats[] {
  const out: BnLayerStats[] = [];
  model.layers.forEach((layer, i) => {
    if (!(layer instanceof BatchNorm) || !layer.lastInput || !layer.lastOutput) return;
    const moments = layer.lastMean && layer.lastVar
      ? { mean: Array.from(layer.lastMean.data), variance: Array.from(layer.lastVar.data) }
      : channelMoments(layer.lastInput);
    out.push({
      layer: i,
      channels: layer.numFeatures,
      batchMean: moments.mean,
      batchVar: moments.variance,
      runningMean: layer.runningMean ? Array.from(layer.runningMean.data) : [],
      runningVar: layer.runningVar ? Array.from(layer.runningVar.data) : [],
      gamma: layer.weight ? Array.from(layer.weight.value.data) : null,
      beta: layer.bias ? Array.from(layer.bias.value.data) : null,
      histBefore: histogram(layer.lastInput.data, bins),
      histAfter: histogram(layer.lastOutput.data, bins),
    });
  });
  return out;
}

/** L2 norm of all parameter gradients of each layer that has parameters. */
export function gradNorms(model: Sequential): GradNorm[] {
  const out: GradNorm[] = [];
  model.layers.forEach((layer, i) => {
    const ps = layer.params();
    if (!ps.length) return;
    let s = 0;
    for (const p of ps) for (const g of p.grad.data) s += g * g;
    out.push({ layer: i, kind: layer.kind, norm: Math.sqrt(s) });
  });
  return out;
}
