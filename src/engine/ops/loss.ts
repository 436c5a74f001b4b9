import { kernel } from '../backend';
import { reuse, shapeToString, type Tensor } from '../tensor';
import { checkRank, fail } from './check';
import type { Labels, SoftmaxCrossEntropyGradKernel, SoftmaxCrossEntropyKernel } from './kernels';

export type { Labels };

export interface SoftmaxCrossEntropyResult {
  /** Mean over the batch. */
  loss: number;
  probs: Tensor;
  /** How many rows have argmax == label. */
  correct: number;
}

function checkLabels(op: string, logits: Tensor, labels: Labels): void {
  checkRank(op, 'logits', logits, 2, '[N, classes]');
  const [N, K] = logits.shape;
  if (labels.length !== N) fail(op, `${labels.length} labels for logits ${shapeToString(logits.shape)} (expected ${N})`);
  for (let n = 0; n < N; n++) {
    if (!(labels[n] >= 0 && labels[n] < K)) fail(op, `label ${labels[n]} at index ${n} is out of range for ${K} classes`);
  }
}

export function softmaxCrossEntropy(logits: Tensor, labels: Labels, out?: { probs?: Tensor }): SoftmaxCrossEntropyResult {
  checkLabels('softmaxCrossEntropy', logits, labels);
  const probs = reuse(out?.probs, logits.shape);
  const { loss, correct } = kernel<SoftmaxCrossEntropyKernel>('SoftmaxCrossEntropy')(logits, labels, probs);
  return { loss, probs, correct };
}

/** dlogits = (probs − onehot(labels)) / N */
export function softmaxCrossEntropyGrad(probs: Tensor, labels: Labels, out?: Tensor): Tensor {
  checkLabels('softmaxCrossEntropyGrad', probs, labels);
  const d = reuse(out, probs.shape);
  kernel<SoftmaxCrossEntropyGradKernel>('SoftmaxCrossEntropyGrad')(probs, labels, d);
  return d;
}
