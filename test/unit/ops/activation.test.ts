import assert from 'node:assert/strict';
import { dropout, dropoutGrad, leakyRelu, leakyReluGrad, relu, reluGrad } from '../../../src/engine/ops';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';
import { assertGradients, distinct } from './gradcheck';

describe('ops/activations and dropout', () => {
  it('relu and leaky relu forward', () => {
    const x = Tensor.from([4], [-2, -0.5, 0, 3]);
    assert.deepEqual([...relu(x).data], [0, 0, 0, 3]);
    assert.deepEqual([...leakyRelu(x, 0.1).data].map((v) => +v.toFixed(6)), [-0.2, -0.05, 0, 3]);
    assert.ok(Number.isNaN(relu(Tensor.from([1], [NaN])).data[0]));
  });

  it('relu gradient matches finite differences', () => {
    const x = distinct([3, 4, 2, 2], new Rng(1));
    assertGradients({ inputs: { x }, forward: () => relu(x), backward: (r) => ({ x: reluGrad(r!, relu(x)) }) });
  });

  it('leaky relu gradient matches finite differences', () => {
    const x = distinct([5, 7], new Rng(2));
    assertGradients({
      inputs: { x },
      forward: () => leakyRelu(x, 0.2),
      backward: (r) => ({ x: leakyReluGrad(r!, x, 0.2) }),
    });
  });

  it('dropout zeroes about p of the values, scales the rest by 1/(1-p), same stream for the same seed', () => {
    const x = Tensor.filled([10000], 1);
    const { y, mask } = dropout(x, 0.3, 5);
    const kept = mask.data.filter((m) => m !== 0).length;
    assert.ok(Math.abs(kept / 10000 - 0.7) < 0.02);
    assert.ok(mask.data.every((m) => m === 0 || Math.abs(m - 1 / 0.7) < 1e-6));
    assert.deepEqual(y.data, mask.data);
    assert.deepEqual(dropout(x, 0.3, 5).mask.data, mask.data);
    assert.notDeepEqual(dropout(x, 0.3, 6).mask.data, mask.data);
    assert.ok(dropout(x, 0, 5).mask.data.every((m) => m === 1));
    assert.ok(dropout(x, 1, 5).y.data.every((v) => v === 0));
    assert.throws(() => dropout(x, 1.5, 5), /dropout: probability must be in \[0, 1\], got 1.5/);
  });

  it('dropout gradient (fixed mask) matches finite differences', () => {
    const x = distinct([4, 6], new Rng(3));
    assertGradients({
      inputs: { x },
      forward: () => dropout(x, 0.5, 8).y,
      backward: (r) => ({ x: dropoutGrad(r!, dropout(x, 0.5, 8).mask) }),
    });
  });

  it('grads reject a dy of another shape', () => {
    assert.throws(() => reluGrad(new Tensor([2, 3]), new Tensor([3, 2])), /reluGrad: dy must have shape \[3, 2\], got \[2, 3\]/);
  });
});
