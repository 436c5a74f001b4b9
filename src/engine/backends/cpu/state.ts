/**
 * State updates on the CPU: BN running statistics and the optimizers' steps (torch.optim 1.13's
 * single-tensor formulas). State is float32 like PyTorch's; each element's arithmetic runs in
 * double and is stored as float32.
 */
import type { AdamStepAttrs, KernelSignatures, SgdStepAttrs } from '../../ops/kernels';
import type { Tensor } from '../../tensor';
import { adamUpdate } from './adam';

function batchNormRunningStats(
  mean: Tensor, varUnbiased: Tensor, runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Tensor, momentum: number | null,
): void {
  const nbt = numBatchesTracked.data;
  const rm = runningMean.data, rv = runningVar.data, bm = mean.data, bv = varUnbiased.data;
  const C = rm.length;
  for (let k = 0; k < bm.length; k += C) {
    nbt[0] += 1;
    const m = momentum ?? 1 / nbt[0];
    for (let c = 0; c < C; c++) {
      rm[c] = m * bm[k + c] + (1 - m) * rm[c];
      rv[c] = m * bv[k + c] + (1 - m) * rv[c];
    }
  }
}

/** d = g + wd·p; buf = d (first step) else μ·buf + (1−τ)·d; d = nesterov ? d + μ·buf : buf; p −= lr·d. */
function sgdStep(param: Tensor, grad: Tensor, momentumBuf: Tensor | null, a: SgdStepAttrs): void {
  const { lr, momentum: mu, dampening, nesterov, weightDecay: wd, first } = a;
  const w = param.data, g = grad.data, buf = momentumBuf?.data;
  for (let i = 0; i < w.length; i++) {
    let d = wd !== 0 ? Math.fround(g[i] + wd * w[i]) : g[i];
    if (buf) {
      buf[i] = first ? d : mu * buf[i] + (1 - dampening) * d;
      d = nesterov ? Math.fround(d + mu * buf[i]) : buf[i];
    }
    w[i] = w[i] - lr * d;
  }
}

/** g += wd·p (AdamW: p *= 1 − lr·wd); m, v moments; p −= stepSize · m / (√v/bc2Sqrt + ε). */
function adamStep(param: Tensor, grad: Tensor, mT: Tensor, vT: Tensor, a: AdamStepAttrs): void {
  const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, decoupled, stepSize, bc2Sqrt } = a;
  const w = param.data, g = grad.data, m = mT.data, v = vT.data;
  if (adamUpdate(w, g, m, v, a)) return; // the same arithmetic in WebAssembly SIMD, across threads
  for (let i = 0; i < w.length; i++) {
    let gi = g[i];
    if (wd !== 0) {
      if (decoupled) w[i] = w[i] * (1 - lr * wd);
      else gi = Math.fround(gi + wd * w[i]);
    }
    m[i] = m[i] + (gi - m[i]) * (1 - b1);
    v[i] = v[i] * b2 + (1 - b2) * gi * gi;
    const denom = Math.fround(Math.fround(Math.sqrt(v[i])) / bc2Sqrt) + eps;
    w[i] = w[i] - stepSize * Math.fround(m[i] / Math.fround(denom));
  }
}

export const stateKernels = {
  BatchNormRunningStats: batchNormRunningStats,
  SgdStep: sgdStep,
  AdamStep: adamStep,
} satisfies Partial<KernelSignatures>;
