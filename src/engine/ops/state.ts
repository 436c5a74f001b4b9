/** Ops that update state in place: BN running statistics and optimizer steps (kernels in backends/<name>/state). */
import { kernel } from '../backend';
import type { Tensor } from '../tensor';
import { checkShape, fail } from './check';
import type { AdamStepAttrs, SgdStepAttrs } from './kernels';

export type { AdamStepAttrs, SgdStepAttrs };

/** numBatchesTracked += 1, then running ← (1−m)·running + m·batch (m = 1/numBatchesTracked when momentum is null). */
export function batchNormRunningStats(
  mean: Tensor, varUnbiased: Tensor, runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Tensor, momentum: number | null,
): void {
  const op = 'batchNormRunningStats';
  for (const [what, t] of [['batch var', varUnbiased], ['running mean', runningMean], ['running var', runningVar]] as const) checkShape(op, what, t, mean.shape);
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
