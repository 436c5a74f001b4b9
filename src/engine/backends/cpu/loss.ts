/** Softmax cross-entropy on the CPU, numerically stable (shifted by the row max), loss summed in float64. */
import type { SoftmaxCrossEntropyGradKernel, SoftmaxCrossEntropyKernel, KernelSignatures } from '../../ops/kernels';

export const softmaxCrossEntropy: SoftmaxCrossEntropyKernel = (logits, labelsT, probs, metrics, slot) => {
  const [N, K] = logits.shape;
  const l = logits.data, p = probs.data, labels = labelsT.ints;
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
  metrics.data[2 * slot] = N > 0 ? loss / N : 0;
  metrics.data[2 * slot + 1] = correct;
};

export const softmaxCrossEntropyGrad: SoftmaxCrossEntropyGradKernel = (probs, labelsT, dlogits) => {
  const [N, K] = probs.shape;
  const p = probs.data, d = dlogits.data, labels = labelsT.ints;
  const inv = 1 / N;
  for (let i = 0; i < N * K; i++) d[i] = p[i] * inv;
  for (let n = 0; n < N; n++) d[n * K + labels[n]] -= inv;
};

export const lossKernels = {
  SoftmaxCrossEntropy: softmaxCrossEntropy,
  SoftmaxCrossEntropyGrad: softmaxCrossEntropyGrad,
} satisfies Partial<KernelSignatures>;
