import * as ops from '../../../src/engine/ops';
import { ints, parity, random, type ParityCase } from '../parity';

export const lossCases: ParityCase[] = [[3, 10], [100, 10], [300, 7]].map(([n, k]) =>
  parity(`softmax cross-entropy ${n}x${k}`, ['SoftmaxCrossEntropy', 'SoftmaxCrossEntropyGrad'],
    [random([n, k], n, 5), ints([n], Array.from({ length: n }, (_, i) => (i * 7) % k))],
    (logits, labels) => {
      const r = ops.softmaxCrossEntropy(logits!, labels!);
      return { probs: r.probs, metrics: r.metrics, dlogits: ops.softmaxCrossEntropyGrad(r.probs, labels!) };
    }));
