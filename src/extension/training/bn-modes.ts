/** Test accuracy with BN in eval mode (running statistics) and in train mode (each batch's own statistics). */
import { gatherBatch, type Normalization, type Split } from '../../data/dataset';
import { crossEntropy, type Sequential } from '../../engine/model';
import { Tensor } from '../../engine/tensor';
import { evaluate } from '../../engine/trainer';

export function bnModeAccuracies(model: Sequential, test: Split, norm: Normalization, batch: number): { eval: number; train: number } {
  const evalAcc = evaluate(model, test, norm).accuracy;
  // Train mode updates running statistics: keep a copy and put it back.
  const saved = new Map([...model.stateDict()].map(([k, e]) => [k, { ...e, tensor: new Tensor([...e.tensor.shape], e.tensor.data.slice()) }]));
  const shape = model.inputShape;
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(batch * size);
  const labels = new Int32Array(batch);
  const order = Int32Array.from({ length: test.count }, (_, i) => i);
  let correct = 0;
  const wasTraining = model.training;
  model.train();
  try {
    for (let from = 0; from < test.count; from += batch) {
      const to = Math.min(test.count, from + batch);
      if (to - from < 2) break; // BN cannot normalize a batch of one
      gatherBatch(test, shape, order, from, to, norm, x, labels);
      const logits = model.forward(new Tensor([to - from, ...shape], x.subarray(0, (to - from) * size)));
      correct += crossEntropy(logits, labels.subarray(0, to - from), false).correct;
    }
  } finally {
    model.loadStateDict(saved);
    model.training = wasTraining;
  }
  return { eval: evalAcc, train: correct / test.count };
}
