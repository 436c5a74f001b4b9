import assert from 'node:assert/strict';
import { OpError, lossValues, softmaxCrossEntropy, softmaxCrossEntropyGrad } from '../../../src/engine/ops';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';
import { assertGradients, maxAbsDiff, randn } from './gradcheck';

describe('ops/softmax cross-entropy', () => {
  it('matches hand-computed values (mean over the batch) and counts correct predictions', () => {
    const logits = Tensor.from([2, 3], [0, 0, 0, 1, 2, 3]);
    const r = softmaxCrossEntropy(logits, new Int32Array([0, 2]));
    const { probs } = r, { loss, correct } = lossValues(r);
    const z = 1 + Math.E + Math.E ** 2;
    assert.ok(Math.abs(loss - (Math.log(3) + Math.log(z / Math.E ** 2)) / 2) < 1e-6);
    assert.ok(maxAbsDiff(probs.data, [1 / 3, 1 / 3, 1 / 3, 1 / z, Math.E / z, Math.E ** 2 / z]) < 1e-6);
    assert.equal(correct, 2); // ties pick the first class
  });

  it('is numerically stable for huge logits', () => {
    const r = softmaxCrossEntropy(Tensor.from([1, 2], [1000, 0]), new Uint8Array([1]));
    const { probs } = r, { loss } = lossValues(r);
    assert.ok(Math.abs(loss - 1000) < 1e-3);
    assert.ok(probs.data.every(Number.isFinite));
  });

  it('gradient matches finite differences', () => {
    const rng = new Rng(3);
    const logits = randn([5, 4], rng, 2);
    const labels = new Int32Array([0, 3, 1, 1, 2]);
    assertGradients({
      inputs: { logits },
      forward: () => lossValues(softmaxCrossEntropy(logits, labels)).loss,
      backward: () => ({ logits: softmaxCrossEntropyGrad(softmaxCrossEntropy(logits, labels).probs, labels) }),
      atol: 1e-4,
    });
  });

  it('rejects labels out of range or of the wrong count', () => {
    const logits = new Tensor([2, 3]);
    assert.throws(() => softmaxCrossEntropy(logits, new Int32Array([0, 3])),
      (e: Error) => e instanceof OpError && e.message === 'softmaxCrossEntropy: label 3 at index 1 is out of range for 3 classes');
    assert.throws(() => softmaxCrossEntropy(logits, new Int32Array([-1, 0])), /label -1 at index 0/);
    assert.throws(() => softmaxCrossEntropy(logits, new Int32Array([0])), /1 labels for logits \[2, 3\] \(expected 2\)/);
  });
});
