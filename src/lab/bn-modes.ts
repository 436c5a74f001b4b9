/** Test accuracy with BN in eval mode (running statistics) and in train mode (each batch's own statistics). */
import { gatherBatch, type Normalization, type Split } from '../data/dataset';
import { empty, readFloats, uploadInto } from '../engine/backend';
import { crossEntropy, type LossResult, type Sequential } from '../engine/model';
import type { Tensor } from '../engine/tensor';
import { evaluate } from '../engine/trainer';

/** Test samples measured in both modes at each stats step during a run: the first ones, a fixed subset that bounds the cost. */
export const MODE_SAMPLES = 500;

/** The first `count` samples of a split (views, no copy). */
export function firstSamples(split: Split, count: number): Split {
  const n = Math.min(count, split.count);
  const size = split.count ? split.pixels.length / split.count : 0;
  return { count: n, pixels: split.pixels.subarray(0, n * size), labels: split.labels.subarray(0, n) };
}

export async function bnModeAccuracies(model: Sequential, test: Split, norm: Normalization, batch: number): Promise<{ eval: number; train: number }> {
  const evalAcc = (await evaluate(model, test, norm)).accuracy;
  // Train mode updates running statistics: keep a copy and put it back.
  const saved = await model.readStateDict();
  const shape = model.inputShape;
  const size = shape.reduce((a, b) => a * b, 1);
  const xbuf = new Float32Array(batch * size);
  const labels = new Int32Array(batch);
  const order = Int32Array.from({ length: test.count }, (_, i) => i);
  const metrics = empty([2 * Math.max(1, Math.ceil(test.count / batch))]);
  let batches = 0, x: Tensor | undefined, y: Tensor | undefined, loss: LossResult | undefined;
  const wasTraining = model.training;
  model.train();
  try {
    for (let from = 0; from < test.count; from += batch) {
      const to = Math.min(test.count, from + batch), m = to - from;
      if (m < 2) break; // BN cannot normalize a batch of one
      gatherBatch(test, shape, order, from, to, norm, xbuf, labels);
      x = uploadInto(x, [m, ...shape], xbuf.subarray(0, m * size));
      y = uploadInto(y, [m], labels.subarray(0, m));
      loss = crossEntropy(model.forward(x), y, false, metrics, batches++, loss);
    }
    const v = await readFloats(metrics);
    let correct = 0;
    for (let k = 0; k < batches; k++) correct += v[2 * k + 1];
    return { eval: evalAcc, train: correct / test.count };
  } finally {
    model.loadStateDict(saved);
    model.training = wasTraining;
  }
}
