import { kernel, reuse, upload } from '../backend';
import { Tensor, shapeToString } from '../tensor';
import { checkRank, fail } from './check';

/** Class labels: an int32 tensor on the active backend, or host values (uploaded). */
export type Labels = Tensor | Int32Array | Uint8Array;

export interface SoftmaxCrossEntropyResult {
  probs: Tensor;
  /** metrics[2·slot] = mean loss over the batch, metrics[2·slot+1] = rows whose argmax is the label. */
  metrics: Tensor;
  slot: number;
  labels: Tensor;
}

/** Labels as an int32 tensor, checked against the logits (host labels are checked value by value). */
function labelTensor(op: string, logits: Tensor, labels: Labels): Tensor {
  checkRank(op, 'logits', logits, 2, '[N, classes]');
  const [N, K] = logits.shape;
  const count = labels instanceof Tensor ? labels.size : labels.length;
  if (count !== N) fail(op, `${count} labels for logits ${shapeToString(logits.shape)} (expected ${N})`);
  if (labels instanceof Tensor) {
    if (labels.dtype !== 'int32') fail(op, 'labels must be an int32 tensor');
    if (labels.backend !== 'cpu') return labels;
  }
  const values = labels instanceof Tensor ? labels.ints : labels;
  for (let n = 0; n < N; n++) {
    if (!(values[n] >= 0 && values[n] < K)) fail(op, `label ${values[n]} at index ${n} is out of range for ${K} classes`);
  }
  if (labels instanceof Tensor) return labels;
  return upload([N], labels instanceof Int32Array ? labels : Int32Array.from(labels));
}

/**
 * Softmax probabilities, and the batch's mean loss and argmax hits written into `metrics` at `slot`
 * (a [2] tensor by default): read them with lossValues() on the CPU, or read(metrics) anywhere.
 */
export function softmaxCrossEntropy(
  logits: Tensor, labels: Labels, out?: { probs?: Tensor; metrics?: Tensor }, slot = 0,
): SoftmaxCrossEntropyResult {
  const op = 'softmaxCrossEntropy';
  const labelsT = labelTensor(op, logits, labels);
  const probs = reuse(out?.probs, logits.shape);
  const metrics = out?.metrics && out.metrics.backend === labelsT.backend ? out.metrics : reuse(undefined, [2]);
  if (!(Number.isInteger(slot) && slot >= 0 && 2 * slot + 1 < metrics.size)) fail(op, `slot ${slot} is outside metrics ${shapeToString(metrics.shape)}`);
  kernel('SoftmaxCrossEntropy')(logits, labelsT, probs, metrics, slot);
  return { probs, metrics, slot, labels: labelsT };
}

/** The loss and hit count of a result whose metrics live on the host (CPU backend). */
export function lossValues(r: { metrics: Tensor; slot: number }): { loss: number; correct: number } {
  return { loss: r.metrics.data[2 * r.slot], correct: r.metrics.data[2 * r.slot + 1] };
}

/** dlogits = (probs − onehot(labels)) / N */
export function softmaxCrossEntropyGrad(probs: Tensor, labels: Labels, out?: Tensor): Tensor {
  const labelsT = labelTensor('softmaxCrossEntropyGrad', probs, labels);
  const d = reuse(out, probs.shape);
  kernel('SoftmaxCrossEntropyGrad')(probs, labelsT, d);
  return d;
}
