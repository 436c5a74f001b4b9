import assert from 'node:assert/strict';
import { buildModel, Tensor, UserError } from '../../../src/engine';
import { BatchNorm } from '../../../src/engine/layers/batchnorm';

const close = (a: ArrayLike<number>, b: number[], tol = 1e-6) =>
  assert.ok(b.every((v, i) => Math.abs(a[i] - v) <= tol * Math.max(1, Math.abs(v))), `${Array.from(a)} ≉ ${b}`);

/** A one-bn-layer model on [C] samples; returns the model and its layer. */
function bnModel(spec: string, c = 2) {
  const m = buildModel(spec, { sampleShape: [c] });
  return { m, bn: m.layers[0] as BatchNorm };
}
const x2 = (rows: number[][]) => Tensor.from([rows.length, rows[0].length], rows.flat());

// Reference: torch 1.13 BatchNorm1d(2, momentum=None / 0.3) after these three training batches.
const BATCHES = [[[1, 2], [3, 6], [5, -1]], [[0, 1], [4, 1.5]], [[2, 2], [2.5, 0], [9, 1], [1, 1]]];
const TORCH_MOMENTUM_NONE = { mean: [2.875, 1.5277776718139648], var: [8.409722328186035, 4.374999523162842] };
const TORCH_MOMENTUM_03 = { mean: [1.948500156402588, 0.9054999947547913], var: [6.5797505378723145, 2.3822498321533203] };

describe('BatchNorm (PyTorch 1.13 semantics)', () => {
  it('normalizes with the biased batch variance and stores the unbiased one (momentum 0.1)', () => {
    const { m, bn } = bnModel('bn', 1);
    const y = m.forward(x2([[1], [3]])); // mean 2, biased var 1, unbiased var 2
    close(y.data, [-1 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(1 + 1e-5)]);
    close(bn.runningMean!.data, [0.2]);
    close(bn.runningVar!.data, [0.9 * 1 + 0.1 * 2]);
    assert.equal(bn.numBatchesTracked!.data[0], 1);
  });

  it('matches torch running statistics over several steps, momentum 0.3 and momentum none (cumulative average)', () => {
    for (const [spec, ref] of [['bn(momentum=0.3)', TORCH_MOMENTUM_03], ['bn(momentum=none)', TORCH_MOMENTUM_NONE]] as const) {
      const { m, bn } = bnModel(spec);
      for (const b of BATCHES) m.forward(x2(b));
      close(bn.runningMean!.data, ref.mean, 1e-6);
      close(bn.runningVar!.data, ref.var, 1e-6);
      assert.equal(bn.numBatchesTracked!.data[0], 3);
    }
  });

  it('uses running statistics in eval mode and leaves them unchanged', () => {
    const { m, bn } = bnModel('bn(momentum=none)', 1);
    m.forward(x2([[1], [3]])); // running mean 2, var 2
    m.eval();
    const y = m.forward(x2([[4], [0], [2]]));
    close(y.data, [2 / Math.sqrt(2 + 1e-5), -2 / Math.sqrt(2 + 1e-5), 0]);
    close(bn.runningMean!.data, [2]);
    assert.equal(bn.numBatchesTracked!.data[0], 1);
  });

  it('track=false: batch statistics in eval too, and no running buffers in the state dict', () => {
    const { m } = bnModel('bn(track=false)', 1);
    assert.deepEqual([...m.stateDict().keys()], ['0.weight', '0.bias']);
    m.eval();
    close(m.forward(x2([[5], [7]])).data, [-1 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(1 + 1e-5)]);
    assert.throws(() => m.forward(x2([[5]])), /expected more than 1 value per channel/i);
  });

  it('affine=false has no weight/bias; affine BN starts at γ=1, β=0', () => {
    assert.deepEqual([...bnModel('bn(affine=false)').m.stateDict().keys()], ['0.running_mean', '0.running_var', '0.num_batches_tracked']);
    const { bn } = bnModel('bn', 3);
    assert.deepEqual(Array.from(bn.weight!.value.data), [1, 1, 1]);
    assert.deepEqual(Array.from(bn.bias!.value.data), [0, 0, 0]);
  });

  it('frozen BN stays in eval mode inside a training model (running stats, eval gradient)', () => {
    const { m, bn } = bnModel('bn(frozen)', 1);
    assert.equal(m.training, true);
    const y = m.forward(x2([[1], [3]]));
    close(y.data, [1 / Math.sqrt(1 + 1e-5), 3 / Math.sqrt(1 + 1e-5)]); // running mean 0, var 1
    close(bn.runningMean!.data, [0]);
    assert.equal(bn.numBatchesTracked!.data[0], 0);
    m.backward(x2([[1], [1]]));
    close(bn.weight!.grad.data, [4 / Math.sqrt(1 + 1e-5)]); // Σ dy·x̂
    close(bn.bias!.grad.data, [2]);
  });

  it('Keras convention: moving = moving·0.99 + batch·0.01, eps 1e-3', () => {
    const { m, bn } = bnModel('bn(keras)', 1);
    const y = m.forward(x2([[1], [3]]));
    close(bn.runningMean!.data, [0.02]);
    close(bn.runningVar!.data, [0.99 + 0.01 * 2]);
    close(y.data, [-1 / Math.sqrt(1 + 1e-3), 1 / Math.sqrt(1 + 1e-3)]);
  });

  it('training with one value per channel is an error that says so', () => {
    const { m } = bnModel('bn');
    assert.throws(() => m.forward(x2([[1, 2]])), (e: unknown) => e instanceof UserError && /more than 1 value per channel/.test(e.message));
  });

  it('chooses BatchNorm2d for images (per-channel over N·H·W) and BatchNorm1d for [C, L]', () => {
    const m2 = buildModel('bn', { sampleShape: [2, 1, 2] });
    const bn2 = m2.layers[0] as BatchNorm;
    assert.equal(bn2.dims, 2);
    m2.forward(Tensor.from([1, 2, 1, 2], [1, 3, 10, 30])); // channel 0: {1,3}, channel 1: {10,30}
    close(bn2.runningMean!.data, [0.2, 2]);
    close(bn2.runningVar!.data, [0.9 + 0.1 * 2, 0.9 + 0.1 * 200]);
    const m1 = buildModel('bn', { sampleShape: [2, 2] });
    assert.equal((m1.layers[0] as BatchNorm).dims, 1);
    m1.forward(Tensor.from([1, 2, 2], [1, 3, 10, 30]));
    close((m1.layers[0] as BatchNorm).runningMean!.data, [0.2, 2]);
  });
});
