/**
 * The signature of every kernel, by name: what each backend implements (a backend registers a
 * whole `KernelSignatures`, so a missing kernel is a compile error) and what ops call (backend.ts).
 * Kernels take tensors and scalar attributes only, and write into the output tensors they are
 * given (fully overwriting them); ops validate shapes and allocate or reuse the outputs.
 */
import type { Conv2DAttrs, Pool2DAttrs } from '../kernel-names';
import type { Tensor } from '../tensor';

export interface BatchNormTrainOut {
  y: Tensor;
  mean: Tensor;
  varBiased: Tensor;
  varUnbiased: Tensor;
  invStd: Tensor;
  xhat: Tensor;
}
export interface NormOut {
  y: Tensor;
  invStd: Tensor;
  xhat: Tensor;
}
/** Batch Renormalization's attributes: rmax/dmax reached after `warmup` steps (see BatchRenormCorrection). */
export interface BatchRenormAttrs {
  eps: number;
  rmax: number;
  dmax: number;
  warmup: number;
}
/** Per channel: r and d, and the mean and variance that make BatchNormInfer compute γ·(r·x̂_B + d) + β. */
export interface BatchRenormOut {
  r: Tensor;
  d: Tensor;
  mean: Tensor;
  variance: Tensor;
}
export interface NormGrads {
  dx: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}

/** torch.optim.SGD's update; `first` is true on a parameter's first step (momentum buffer = d). */
export interface SgdStepAttrs {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  first: boolean;
}

/** torch.optim.Adam/AdamW's update at step t: stepSize = lr/(1−β1^t), bc2Sqrt = √(1−β2^t). */
export interface AdamStepAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
  stepSize: number;
  bc2Sqrt: number;
}

export interface KernelSignatures {
  Conv2D(x: Tensor, w: Tensor, b: Tensor | null, attrs: Conv2DAttrs, y: Tensor): void;
  Conv2DBackpropInput(dy: Tensor, w: Tensor, attrs: Conv2DAttrs, dx: Tensor): void;
  /** Writes dw and db (db = sums of dy per output channel). */
  Conv2DBackpropFilter(dy: Tensor, x: Tensor, attrs: Conv2DAttrs, dw: Tensor, db: Tensor): void;
  Linear(x: Tensor, w: Tensor, b: Tensor | null, y: Tensor): void;
  LinearBackward(dy: Tensor, x: Tensor, w: Tensor, dx: Tensor | null, dw: Tensor, db: Tensor): void;
  BatchNormTrain(x: Tensor, gamma: Tensor | null, beta: Tensor | null, eps: number, out: BatchNormTrainOut): void;
  BatchNormInfer(x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor | null, beta: Tensor | null, eps: number, out: NormOut): void;
  BatchNormBackward(dy: Tensor, xhat: Tensor, invStd: Tensor, gamma: Tensor | null, training: boolean, out: NormGrads): void;
  /**
   * For each row k of mean/varUnbiased ([K, C], or [C] for K = 1), in order: numBatchesTracked += 1;
   * running = (1−m)·running + m·batch_k for the mean and the unbiased variance, with m = momentum,
   * or 1/numBatchesTracked when momentum is null (cumulative average). K > 1: Ghost BN's virtual batches.
   */
  BatchNormRunningStats(
    mean: Tensor, varUnbiased: Tensor, runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Tensor, momentum: number | null,
  ): void;
  /**
   * Batch Renormalization (Ioffe 2017) at step t = numBatchesTracked (before this step's update), with
   * σ_B = √(varBiased + ε), σ = √(runningVar + ε), f = min(1, t/warmup) (1 when warmup is 0),
   * rmax_t = 1 + (rmax − 1)·f, dmax_t = dmax·f:
   *   r = clip(σ_B/σ, 1/rmax_t, rmax_t), d = clip((mean − runningMean)/σ, −dmax_t, dmax_t);
   *   out.mean = mean − d·σ_B/r, out.variance = (σ_B/r)² − ε.
   */
  BatchRenormCorrection(
    mean: Tensor, varBiased: Tensor, runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Tensor, attrs: BatchRenormAttrs, out: BatchRenormOut,
  ): void;
  GroupNorm(x: Tensor, groups: number, gamma: Tensor | null, beta: Tensor | null, eps: number, out: NormOut): void;
  GroupNormBackward(dy: Tensor, xhat: Tensor, invStd: Tensor, gamma: Tensor | null, groups: number, out: NormGrads): void;
  LayerNorm(x: Tensor, normalizedSize: number, gamma: Tensor | null, beta: Tensor | null, eps: number, out: NormOut): void;
  LayerNormBackward(dy: Tensor, xhat: Tensor, invStd: Tensor, gamma: Tensor | null, out: NormGrads): void;
  Relu(x: Tensor, y: Tensor): void;
  ReluGrad(dy: Tensor, y: Tensor, dx: Tensor): void;
  LeakyRelu(x: Tensor, slope: number, y: Tensor): void;
  LeakyReluGrad(dy: Tensor, x: Tensor, slope: number, dx: Tensor): void;
  /** argmax (int32): flat index into x of each output's maximum. */
  MaxPool2D(x: Tensor, attrs: Pool2DAttrs, y: Tensor, argmax: Tensor): void;
  MaxPool2DGrad(dy: Tensor, argmax: Tensor, dx: Tensor, attrs: Pool2DAttrs): void;
  AvgPool2D(x: Tensor, attrs: Pool2DAttrs, y: Tensor): void;
  AvgPool2DGrad(dy: Tensor, attrs: Pool2DAttrs, dx: Tensor): void;
  /** mask[i] = 0 where dropoutBits(seed, i) < threshold (= ⌈p·2^24⌉), else 1/(1−p); y = x·mask. */
  Dropout(x: Tensor, p: number, seed: number, y: Tensor, mask: Tensor): void;
  DropoutGrad(dy: Tensor, mask: Tensor, dx: Tensor): void;
  /**
   * Writes probs (softmax of each row) and, into metrics[2·slot] and metrics[2·slot+1], the mean
   * loss and the count of rows whose argmax is the label (int32 labels).
   */
  SoftmaxCrossEntropy(logits: Tensor, labels: Tensor, probs: Tensor, metrics: Tensor, slot: number): void;
  SoftmaxCrossEntropyGrad(probs: Tensor, labels: Tensor, dlogits: Tensor): void;
  SgdStep(param: Tensor, grad: Tensor, momentumBuf: Tensor | null, attrs: SgdStepAttrs): void;
  AdamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, attrs: AdamStepAttrs): void;
}

export type KernelName = keyof KernelSignatures;

// Per-kernel aliases, for backends' implementations.
export type Conv2DKernel = KernelSignatures['Conv2D'];
export type Conv2DBackpropInputKernel = KernelSignatures['Conv2DBackpropInput'];
export type Conv2DBackpropFilterKernel = KernelSignatures['Conv2DBackpropFilter'];
export type LinearKernel = KernelSignatures['Linear'];
export type LinearBackwardKernel = KernelSignatures['LinearBackward'];
export type BatchNormTrainKernel = KernelSignatures['BatchNormTrain'];
export type BatchNormInferKernel = KernelSignatures['BatchNormInfer'];
export type BatchNormBackwardKernel = KernelSignatures['BatchNormBackward'];
export type BatchRenormCorrectionKernel = KernelSignatures['BatchRenormCorrection'];
export type GroupNormKernel = KernelSignatures['GroupNorm'];
export type GroupNormBackwardKernel = KernelSignatures['GroupNormBackward'];
export type LayerNormKernel = KernelSignatures['LayerNorm'];
export type LayerNormBackwardKernel = KernelSignatures['LayerNormBackward'];
export type ReluKernel = KernelSignatures['Relu'];
export type ReluGradKernel = KernelSignatures['ReluGrad'];
export type LeakyReluKernel = KernelSignatures['LeakyRelu'];
export type LeakyReluGradKernel = KernelSignatures['LeakyReluGrad'];
export type MaxPool2DKernel = KernelSignatures['MaxPool2D'];
export type MaxPool2DGradKernel = KernelSignatures['MaxPool2DGrad'];
export type AvgPool2DKernel = KernelSignatures['AvgPool2D'];
export type AvgPool2DGradKernel = KernelSignatures['AvgPool2DGrad'];
export type DropoutKernel = KernelSignatures['Dropout'];
export type DropoutGradKernel = KernelSignatures['DropoutGrad'];
export type SoftmaxCrossEntropyKernel = KernelSignatures['SoftmaxCrossEntropy'];
export type SoftmaxCrossEntropyGradKernel = KernelSignatures['SoftmaxCrossEntropyGrad'];

/** Dropout's counter-based random bits (24 bits of a murmur3-style mix of seed and index), the same on every backend. */
export function dropoutBits(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 8) & 0xffffff;
}

/** Elements whose dropoutBits fall below this are dropped: ⌈p·2^24⌉. */
export function dropoutThreshold(p: number): number {
  return Math.min(1 << 24, Math.ceil(p * (1 << 24)));
}
