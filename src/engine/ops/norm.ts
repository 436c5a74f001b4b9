import { kernel, reuse } from '../backend';
import { shapeToString, type Tensor } from '../tensor';
import { checkShape, checkVector, fail, OpError } from './check';
import type { BatchNormTrainOut, BatchRenormAttrs, BatchRenormOut, NormGrads, NormOut } from './kernels';

export type BatchNormTrainResult = BatchNormTrainOut;
export type NormResult = NormOut;
export type { BatchRenormAttrs, BatchRenormOut, NormGrads };
/** What the backward passes need from the forward. */
export interface NormSaved {
  xhat: Tensor;
  invStd: Tensor;
}

function channels(op: string, x: Tensor): number {
  if (x.rank < 2) fail(op, `input must be [N, C] or [N, C, H, W], got ${shapeToString(x.shape)}`);
  return x.shape[1];
}

function checkEps(op: string, eps: number): void {
  if (!(eps >= 0)) fail(op, `eps must be >= 0, got ${eps}`);
}

/**
 * Batch statistics per channel over N and the spatial dims; normalizes with the biased variance,
 * also returns the unbiased one (for running_var). Throws like PyTorch with one value per channel.
 */
export function batchNormTrain(
  x: Tensor, gamma: Tensor | null, beta: Tensor | null, eps: number, out?: Partial<BatchNormTrainResult>,
): BatchNormTrainResult {
  const op = 'batchNormTrain';
  const C = channels(op, x);
  checkVector(op, 'gamma', gamma, C);
  checkVector(op, 'beta', beta, C);
  checkEps(op, eps);
  const perChannel = C === 0 ? 0 : x.size / C;
  if (perChannel === 1) {
    throw new OpError(`Expected more than 1 value per channel when training, got input size ${shapeToString(x.shape)}`);
  }
  if (perChannel === 0) fail(op, `input ${shapeToString(x.shape)} is empty`);
  const r: BatchNormTrainResult = {
    y: reuse(out?.y, x.shape),
    mean: reuse(out?.mean, [C]),
    varBiased: reuse(out?.varBiased, [C]),
    varUnbiased: reuse(out?.varUnbiased, [C]),
    invStd: reuse(out?.invStd, [C]),
    xhat: reuse(out?.xhat, x.shape),
  };
  kernel('BatchNormTrain')(x, gamma, beta, eps, r);
  return r;
}

/** Normalizes with given statistics (running ones in eval mode). */
export function batchNormInfer(
  x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor | null, beta: Tensor | null, eps: number, out?: Partial<NormResult>,
): NormResult {
  const op = 'batchNormInfer';
  const C = channels(op, x);
  checkShape(op, 'mean', mean, [C]);
  checkShape(op, 'var', variance, [C]);
  checkVector(op, 'gamma', gamma, C);
  checkVector(op, 'beta', beta, C);
  checkEps(op, eps);
  const r: NormResult = { y: reuse(out?.y, x.shape), invStd: reuse(out?.invStd, [C]), xhat: reuse(out?.xhat, x.shape) };
  kernel('BatchNormInfer')(x, mean, variance, gamma, beta, eps, r);
  return r;
}

/**
 * training=true: gradient through the batch statistics; training=false: statistics are constants
 * (eval mode or frozen BN), dx = dy·γ·invStd. dgamma = Σ dy·xhat, dbeta = Σ dy either way.
 */
export function batchNormBackward(
  dy: Tensor, saved: NormSaved, gamma: Tensor | null, training: boolean, out?: Partial<NormGrads>,
): NormGrads {
  const op = 'batchNormBackward';
  const C = channels(op, dy);
  checkShape(op, 'dy', dy, saved.xhat.shape);
  checkShape(op, 'invStd', saved.invStd, [C]);
  checkVector(op, 'gamma', gamma, C);
  const g = grads(out, dy, C);
  kernel('BatchNormBackward')(dy, saved.xhat, saved.invStd, gamma, training, g);
  return g;
}

/**
 * Batch Renormalization's r and d against the running statistics (kernels.ts, BatchRenormCorrection),
 * and the mean/variance with which batchNormInfer computes γ·(r·x̂_B + d) + β.
 */
export function batchRenormCorrection(
  mean: Tensor, varBiased: Tensor, runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Tensor, attrs: BatchRenormAttrs,
  out?: Partial<BatchRenormOut>,
): BatchRenormOut {
  const op = 'batchRenormCorrection';
  const C = mean.size;
  for (const [what, t] of [['batch var', varBiased], ['running mean', runningMean], ['running var', runningVar]] as const) checkShape(op, what, t, [C]);
  if (numBatchesTracked.size !== 1) fail(op, 'num_batches_tracked must hold one value');
  checkEps(op, attrs.eps);
  if (!(attrs.rmax >= 1) || !(attrs.dmax >= 0) || !(attrs.warmup >= 0)) {
    fail(op, `rmax must be >= 1, dmax >= 0 and warmup >= 0, got ${attrs.rmax}, ${attrs.dmax}, ${attrs.warmup}`);
  }
  const r: BatchRenormOut = { r: reuse(out?.r, [C]), d: reuse(out?.d, [C]), mean: reuse(out?.mean, [C]), variance: reuse(out?.variance, [C]) };
  kernel('BatchRenormCorrection')(mean, varBiased, runningMean, runningVar, numBatchesTracked, attrs, r);
  return r;
}

function grads(out: Partial<NormGrads> | undefined, dy: Tensor, affineSize: number): NormGrads {
  return { dx: reuse(out?.dx, dy.shape), dgamma: reuse(out?.dgamma, [affineSize]), dbeta: reuse(out?.dbeta, [affineSize]) };
}

function checkGroups(op: string, x: Tensor, groups: number): number {
  const C = channels(op, x);
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0) {
    fail(op, `the ${C} input channels of ${shapeToString(x.shape)} must be divisible by num_groups (${groups})`);
  }
  return C;
}

/** Statistics per sample and group of C/groups channels; γ, β per channel. invStd is [N·groups]. */
export function groupNorm(
  x: Tensor, groups: number, gamma: Tensor | null, beta: Tensor | null, eps: number, out?: Partial<NormResult>,
): NormResult {
  const op = 'groupNorm';
  const C = checkGroups(op, x, groups);
  checkVector(op, 'gamma', gamma, C);
  checkVector(op, 'beta', beta, C);
  checkEps(op, eps);
  const r: NormResult = { y: reuse(out?.y, x.shape), invStd: reuse(out?.invStd, [x.shape[0] * groups]), xhat: reuse(out?.xhat, x.shape) };
  kernel('GroupNorm')(x, groups, gamma, beta, eps, r);
  return r;
}

export function groupNormBackward(
  dy: Tensor, saved: NormSaved, gamma: Tensor | null, groups: number, out?: Partial<NormGrads>,
): NormGrads {
  const op = 'groupNormBackward';
  const C = checkGroups(op, dy, groups);
  checkShape(op, 'dy', dy, saved.xhat.shape);
  checkShape(op, 'invStd', saved.invStd, [dy.shape[0] * groups]);
  checkVector(op, 'gamma', gamma, C);
  const g = grads(out, dy, C);
  kernel('GroupNormBackward')(dy, saved.xhat, saved.invStd, gamma, groups, g);
  return g;
}

/** Instance norm = group norm with one channel per group (γ, β per channel, optional). */
export function instanceNorm(x: Tensor, gamma: Tensor | null, beta: Tensor | null, eps: number, out?: Partial<NormResult>): NormResult {
  return groupNorm(x, channels('instanceNorm', x), gamma, beta, eps, out);
}

export function instanceNormBackward(dy: Tensor, saved: NormSaved, gamma: Tensor | null, out?: Partial<NormGrads>): NormGrads {
  return groupNormBackward(dy, saved, gamma, channels('instanceNormBackward', dy), out);
}

/**
 * Statistics over the trailing dims whose product is normalizedSize (PyTorch's normalized_shape);
 * γ, β elementwise over those dims (size normalizedSize). invStd is [x.size / normalizedSize].
 */
/** γ/β of layerNorm may have the normalized shape (nn.LayerNorm's weight), so only their size must match. */
function checkSize(op: string, what: string, t: Tensor | null, n: number): void {
  if (t && t.size !== n) fail(op, `${what} must have shape [${n}], got ${shapeToString(t.shape)}`);
}

export function layerNorm(
  x: Tensor, normalizedSize: number, gamma: Tensor | null, beta: Tensor | null, eps: number, out?: Partial<NormResult>,
): NormResult {
  const op = 'layerNorm';
  let trailing = 1;
  let fits = false;
  for (let i = x.rank - 1; i >= 1 && !fits; i--) {
    trailing *= x.shape[i];
    fits = trailing === normalizedSize;
  }
  if (!fits || normalizedSize < 1) {
    fail(op, `normalized size ${normalizedSize} is not the product of trailing dims of input ${shapeToString(x.shape)}`);
  }
  checkSize(op, 'gamma', gamma, normalizedSize);
  checkSize(op, 'beta', beta, normalizedSize);
  checkEps(op, eps);
  const r: NormResult = { y: reuse(out?.y, x.shape), invStd: reuse(out?.invStd, [x.size / normalizedSize]), xhat: reuse(out?.xhat, x.shape) };
  kernel('LayerNorm')(x, normalizedSize, gamma, beta, eps, r);
  return r;
}

export function layerNormBackward(dy: Tensor, saved: NormSaved, gamma: Tensor | null, out?: Partial<NormGrads>): NormGrads {
  const op = 'layerNormBackward';
  checkShape(op, 'dy', dy, saved.xhat.shape);
  const rows = saved.invStd.size;
  const D = rows === 0 ? 0 : dy.size / rows;
  if (!Number.isInteger(D)) fail(op, `invStd has ${rows} rows, which does not divide dy ${shapeToString(dy.shape)}`);
  checkSize(op, 'gamma', gamma, D);
  const affineShape = gamma ? gamma.shape : [D];
  const g: NormGrads = { dx: reuse(out?.dx, dy.shape), dgamma: reuse(out?.dgamma, affineShape), dbeta: reuse(out?.dbeta, affineShape) };
  kernel('LayerNormBackward')(dy, saved.xhat, saved.invStd, gamma, g);
  return g;
}
