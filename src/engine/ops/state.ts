/** Ops that update state in place: BN running statistics and optimizer steps (kernels in backends/<name>/state). */
import { kernel } from '../backend';
import { shapeToString, type Tensor } from '../tensor';
import { checkShape, fail } from './check';
import type { AdamStepAttrs, SgdStepAttrs } from './kernels';

export type { AdamStepAttrs, SgdStepAttrs };

/**
 * numBatchesTracked += 1, then running ← (1−m)·running + m·batch (m = 1/numBatchesTracked when momentum is null);
 * batch statistics of shape [K, C] apply K such updates in order (Ghost BN's virtual batches).
 */
export function batchNormRunningStats(
  mean: Tensor, varUnbiased: Tensor, runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Tensor, momentum: number | null,
): void {
  const op = 'batchNormRunningStats';
  const C = runningMean.size;
  checkShape(op, 'running var', runningVar, runningMean.shape);
  checkShape(op, 'batch var', varUnbiased, mean.shape);
  if (C === 0 || mean.size % C !== 0) fail(op, `batch mean ${shapeToString(mean.shape)} is not rows of the ${C} running statistics`);
  if (numBatchesTracked.size !== 1) fail(op, 'num_batches_tracked must hold one value');
  kernel('BatchNormRunningStats')(mean, varUnbiased, runningMean, runningVar, numBatchesTracked, momentum);
}

export function sgdStep(param: Tensor, grad: Tensor, momentumBuf: Tensor | null, attrs: SgdStepAttrs): void {
  checkShape('sgdStep', 'grad', grad, param.shape);
  if (momentumBuf) checkShape('sgdStep', 'momentum buffer', momentumBuf, param.shape);
  kernel('SgdStep')(param, grad, momentumBuf, attrs);
}

export function adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, attrs: AdamStepAttrs): void {
  for (const [what, t] of [['grad', grad], ['m', m], ['v', v]] as const) checkShape('adamStep', what, t, param.shape);
  kernel('AdamStep')(param, grad, m, v, attrs);
}
