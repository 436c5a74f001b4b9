/**
 * The signature of every kernel, for backends to implement and ops to call (see backend.ts).
 * Ops validate shapes and allocate (or reuse) outputs; kernels only compute, writing into the
 * output tensors they are given (which they fully overwrite).
 */
import type { Rng } from '../rng';
import type { Tensor } from '../tensor';
import type { Conv2DAttrs, Pool2DAttrs } from '../kernel-names';

export type Conv2DKernel = (x: Tensor, w: Tensor, b: Tensor | null, attrs: Conv2DAttrs, y: Tensor) => void;
export type Conv2DBackpropInputKernel = (dy: Tensor, w: Tensor, attrs: Conv2DAttrs, dx: Tensor) => void;
/** Writes dw and db (db = sums of dy per output channel). */
export type Conv2DBackpropFilterKernel = (dy: Tensor, x: Tensor, attrs: Conv2DAttrs, dw: Tensor, db: Tensor) => void;

export type LinearKernel = (x: Tensor, w: Tensor, b: Tensor | null, y: Tensor) => void;
export type LinearBackwardKernel = (dy: Tensor, x: Tensor, w: Tensor, dx: Tensor | null, dw: Tensor, db: Tensor) => void;

export interface BatchNormTrainOut {
  y: Tensor;
  mean: Tensor;
  varBiased: Tensor;
  varUnbiased: Tensor;
  invStd: Tensor;
  xhat: Tensor;
}
export type BatchNormTrainKernel = (x: Tensor, gamma: Tensor | null, beta: Tensor | null, eps: number, out: BatchNormTrainOut) => void;
export interface NormOut {
  y: Tensor;
  invStd: Tensor;
  xhat: Tensor;
}
export type BatchNormInferKernel = (
  x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor | null, beta: Tensor | null, eps: number, out: NormOut,
) => void;
export interface NormGrads {
  dx: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}
export type BatchNormBackwardKernel = (
  dy: Tensor, xhat: Tensor, invStd: Tensor, gamma: Tensor | null, training: boolean, out: NormGrads,
) => void;
export type GroupNormKernel = (x: Tensor, groups: number, gamma: Tensor | null, beta: Tensor | null, eps: number, out: NormOut) => void;
export type GroupNormBackwardKernel = (dy: Tensor, xhat: Tensor, invStd: Tensor, gamma: Tensor | null, groups: number, out: NormGrads) => void;
export type LayerNormKernel = (x: Tensor, normalizedSize: number, gamma: Tensor | null, beta: Tensor | null, eps: number, out: NormOut) => void;
export type LayerNormBackwardKernel = (dy: Tensor, xhat: Tensor, invStd: Tensor, gamma: Tensor | null, out: NormGrads) => void;

export type ReluKernel = (x: Tensor, y: Tensor) => void;
export type ReluGradKernel = (dy: Tensor, y: Tensor, dx: Tensor) => void;
export type LeakyReluKernel = (x: Tensor, slope: number, y: Tensor) => void;
export type LeakyReluGradKernel = (dy: Tensor, x: Tensor, slope: number, dx: Tensor) => void;

export type MaxPool2DKernel = (x: Tensor, attrs: Pool2DAttrs, y: Tensor, argmax: Int32Array) => void;
export type MaxPool2DGradKernel = (dy: Tensor, argmax: Int32Array, dx: Tensor) => void;
export type AvgPool2DKernel = (x: Tensor, attrs: Pool2DAttrs, y: Tensor) => void;
export type AvgPool2DGradKernel = (dy: Tensor, attrs: Pool2DAttrs, dx: Tensor) => void;

export type DropoutKernel = (x: Tensor, p: number, rng: Rng, y: Tensor, mask: Float32Array) => void;
export type DropoutGradKernel = (dy: Tensor, mask: Float32Array, dx: Tensor) => void;

export type Labels = Int32Array | Uint8Array;
/** Writes probs; returns the mean loss (float64 sum) and the count of correct argmax predictions. */
export type SoftmaxCrossEntropyKernel = (logits: Tensor, labels: Labels, probs: Tensor) => { loss: number; correct: number };
export type SoftmaxCrossEntropyGradKernel = (probs: Tensor, labels: Labels, dlogits: Tensor) => void;
