/** Softmax cross-entropy on the CPU, numerically stable (shifted by the row max), loss summed in float64. */
import { registerKernels } from '../../kernel-registry';
import type { SoftmaxCrossEntropyGradKernel, SoftmaxCrossEntropyKernel } from '../../ops/kernels';

export const softmaxCrossEntropy: SoftmaxCrossEntropyKernel = (logits, labels, probs) => {
  const [N, K] = logits.shape;
  const l = logits.data, p = probs.data;
  let loss = 0;
  let correct = 0;
  for (let n = 0; n < N; n++) {
    const row = n * K;
    let max = -Infinity;
    let argmax = 0;
    for (let k = 0; k < K; k++) {
      if (l[row + k] > max) {
        max = l[row + k];
        argmax = k;
      }
    }
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(l[row + k] - max);
    for (let k = 0; k < K; k++) p[row + k] = Math.exp(l[row + k] - max) / sum;
    const label = labels[n];
    loss += Math.log(sum) - (l[row + label] - max);
    if (argmax === label) correct++;
  }
  return { loss: N > 0 ? loss / N : 0, correct };
};

export const softmaxCrossEntropyGrad: SoftmaxCrossEntropyGradKernel = (probs, labels, dlogits) => {
  const [N, K] = probs.shape;
  const p = probs.data, d = dlogits.data;
  const inv = 1 / N;
  for (let i = 0; i < N * K; i++) d[i] = p[i] * inv;
  for (let n = 0; n < N; n++) d[n * K + labels[n]] -= inv;
};

registerKernels('cpu', {
  SoftmaxCrossEntropy: softmaxCrossEntropy,
  SoftmaxCrossEntropyGrad: softmaxCrossEntropyGrad,
});
