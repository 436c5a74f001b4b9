import assert from 'node:assert/strict';
import {
  batchNormBackward, batchNormInfer, batchNormTrain, groupNorm, groupNormBackward, instanceNorm, instanceNormBackward,
  layerNorm, layerNormBackward, OpError,
} from '../../../src/engine/ops';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';
import { assertGradients, gradCheckFailures, maxAbsDiff, randn } from './gradcheck';

const eps = 1e-5;

describe('ops/batch norm', () => {
  it('train forward: batch stats per channel, biased variance to normalize, unbiased returned', () => {
    // channel 0: 1, 3, 5 (mean 3, var 8/3, unbiased 4); channel 1: 2, 4, 9 (mean 5, var 26/3, unbiased 13)
    const x = Tensor.from([3, 2], [1, 2, 3, 4, 5, 9]);
    const r = batchNormTrain(x, Tensor.from([2], [2, 1]), Tensor.from([2], [0, 1]), eps);
    assert.ok(maxAbsDiff(r.mean.data, [3, 5]) < 1e-6);
    assert.ok(maxAbsDiff(r.varBiased.data, [8 / 3, 26 / 3]) < 1e-6);
    assert.ok(maxAbsDiff(r.varUnbiased.data, [4, 13]) < 1e-6);
    const s0 = 1 / Math.sqrt(8 / 3 + eps), s1 = 1 / Math.sqrt(26 / 3 + eps);
    assert.ok(maxAbsDiff(r.invStd.data, [s0, s1]) < 1e-6);
    const expected = [-2 * s0 * 2, -3 * s1 + 1, 0, -1 * s1 + 1, 2 * s0 * 2, 4 * s1 + 1];
    assert.ok(maxAbsDiff(r.y.data, expected) < 1e-6);
  });

  it('train forward 2d with SIMD-sized planes matches per-channel float64 statistics', () => {
    const x = randn([3, 2, 6, 7], new Rng(21), 2);
    const r = batchNormTrain(x, null, null, eps);
    for (let c = 0; c < 2; c++) {
      const vals: number[] = [];
      for (let n = 0; n < 3; n++) vals.push(...x.data.subarray((n * 2 + c) * 42, (n * 2 + c + 1) * 42));
      const m = vals.reduce((a, b) => a + b, 0) / vals.length;
      const v = vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length;
      assert.ok(Math.abs(r.mean.data[c] - m) < 1e-6 && Math.abs(r.varBiased.data[c] - v) < 1e-5);
      for (let n = 0; n < 3; n++) {
        for (let i = 0; i < 42; i++) {
          const at = (n * 2 + c) * 42 + i;
          assert.ok(Math.abs(r.y.data[at] - (x.data[at] - m) / Math.sqrt(v + eps)) < 1e-5);
        }
      }
    }
  });

  it('train forward 2d: statistics over N, H and W', () => {
    // [N=2, C=2, H=1, W=2]: channel 0 sees 1, 2, 5, 6; channel 1 sees 3, 4, 7, 8
    const x = Tensor.from([2, 2, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const r = batchNormTrain(x, null, null, eps);
    assert.deepEqual([...r.mean.data], [3.5, 5.5]);
    assert.ok(maxAbsDiff(r.varBiased.data, [4.25, 4.25]) < 1e-6);
    assert.ok(maxAbsDiff(r.varUnbiased.data, [17 / 3, 17 / 3]) < 1e-6);
    const s = 1 / Math.sqrt(4.25 + eps);
    assert.ok(maxAbsDiff(r.y.data, [-2.5 * s, -1.5 * s, -2.5 * s, -1.5 * s, 1.5 * s, 2.5 * s, 1.5 * s, 2.5 * s]) < 1e-6);
  });

  it('eval forward uses the given (running) statistics', () => {
    const x = Tensor.from([2, 2], [1, 2, 3, 4]);
    const r = batchNormInfer(x, Tensor.from([2], [1, 0]), Tensor.from([2], [4, 1]), Tensor.from([2], [2, 1]), Tensor.from([2], [1, 0]), 0);
    assert.deepEqual([...r.y.data], [1, 2, 3, 4]);
  });

  it('float64 statistics keep precision for a large offset', () => {
    const rng = new Rng(9);
    const x = new Tensor([1000, 1]);
    for (let i = 0; i < x.size; i++) x.data[i] = 1000 + (i % 2 === 0 ? 1 : -1) + rng.normal() * 1e-3;
    const r = batchNormTrain(x, null, null, eps);
    assert.ok(Math.abs(r.varBiased.data[0] - 1) < 1e-3);
  });

  it('throws like PyTorch with one value per channel when training', () => {
    for (const shape of [[1, 3], [1, 4, 1, 1]]) {
      assert.throws(() => batchNormTrain(new Tensor(shape), null, null, eps),
        (e: Error) => e instanceof OpError && e.message === `Expected more than 1 value per channel when training, got input size [${shape.join(', ')}]`);
    }
    // one sample with several pixels is fine
    assert.doesNotThrow(() => batchNormTrain(new Tensor([1, 2, 2, 2]), null, null, eps));
  });

  it('rejects mismatched parameter shapes', () => {
    assert.throws(() => batchNormTrain(new Tensor([4, 3]), new Tensor([4]), null, eps), /batchNormTrain: gamma must have shape \[3\], got \[4\]/);
    assert.throws(() => batchNormInfer(new Tensor([4, 3, 2, 2]), new Tensor([2]), new Tensor([3]), null, null, eps), /batchNormInfer: mean must have shape \[3\], got \[2\]/);
    assert.throws(() => batchNormTrain(new Tensor([4]), null, null, eps), /input must be \[N, C\] or \[N, C, H, W\], got \[4\]/);
  });

  // [2, 3, 5, 5]: planes of 25 values take the SIMD path where available (with a tail of 1).
  for (const shape of [[6, 3], [3, 2, 3, 3], [2, 3, 5, 5]]) {
    const rng = new Rng(shape.length);
    const C = shape[1];
    const x = randn(shape, rng, 2);
    const gamma = randn([C], rng), beta = randn([C], rng);
    const mean = randn([C], rng), variance = Tensor.from([C], Array.from({ length: C }, (_, i) => 0.5 + i));

    it(`train gradients to x, gamma and beta match finite differences (${shape.length === 2 ? '1d' : `2d, ${shape.join('x')}`})`, () => {
      assertGradients({
        inputs: { x, gamma, beta },
        forward: () => batchNormTrain(x, gamma, beta, eps).y,
        backward: (r) => {
          const g = batchNormBackward(r!, batchNormTrain(x, gamma, beta, eps), gamma, true);
          return { x: g.dx, gamma: g.dgamma, beta: g.dbeta };
        },
      });
    });

    it(`eval gradients match finite differences (${shape.length === 2 ? '1d' : `2d, ${shape.join('x')}`})`, () => {
      assertGradients({
        inputs: { x, gamma, beta },
        forward: () => batchNormInfer(x, mean, variance, gamma, beta, eps).y,
        backward: (r) => {
          const g = batchNormBackward(r!, batchNormInfer(x, mean, variance, gamma, beta, eps), gamma, false);
          return { x: g.dx, gamma: g.dgamma, beta: g.dbeta };
        },
      });
    });

    it(`train gradient without affine matches finite differences (${shape.length === 2 ? '1d' : `2d, ${shape.join('x')}`})`, () => {
      assertGradients({
        inputs: { x },
        forward: () => batchNormTrain(x, null, null, eps).y,
        backward: (r) => ({ x: batchNormBackward(r!, batchNormTrain(x, null, null, eps), null, true).dx }),
      });
    });
  }

  it('the eval-mode formula fails the check for a training forward', () => {
    const rng = new Rng(4);
    const x = randn([5, 2], rng);
    const failures = gradCheckFailures({
      inputs: { x },
      forward: () => batchNormTrain(x, null, null, eps).y,
      backward: (r) => ({ x: batchNormBackward(r!, batchNormTrain(x, null, null, eps), null, false).dx }),
    });
    assert.ok(failures.length >= 5, failures.join('\n'));
  });
});

/** Mean and biased variance of each contiguous block of `size` values. */
function blockStats(x: Float32Array, size: number): { mean: number[]; variance: number[] } {
  const mean: number[] = [], variance: number[] = [];
  for (let s = 0; s < x.length; s += size) {
    const block = [...x.subarray(s, s + size)];
    const m = block.reduce((a, b) => a + b, 0) / size;
    mean.push(m);
    variance.push(block.reduce((a, b) => a + (b - m) ** 2, 0) / size);
  }
  return { mean, variance };
}

describe('ops/group, instance and layer norm', () => {
  const rng = new Rng(11);

  it('group norm forward normalizes per sample and group, then applies per-channel affine', () => {
    const x = randn([2, 4, 2, 3], rng, 3);
    const gamma = Tensor.from([4], [1, 2, 3, 4]), beta = Tensor.from([4], [0, 1, 0, 1]);
    const r = groupNorm(x, 2, gamma, beta, eps);
    const { mean, variance } = blockStats(x.data, 12);
    const expected = Array.from(x.data, (v, i) => {
      const block = Math.floor(i / 12), c = Math.floor(i / 6) % 4;
      return ((v - mean[block]) / Math.sqrt(variance[block] + eps)) * gamma.data[c] + beta.data[c];
    });
    assert.ok(maxAbsDiff(r.y.data, expected) < 1e-5);
    assert.deepEqual(r.invStd.shape, [4]);
  });

  it('layer norm forward normalizes each row over the trailing dims with elementwise affine', () => {
    const x = randn([3, 2, 4], rng, 2);
    const gamma = randn([4], rng), beta = randn([4], rng);
    const r = layerNorm(x, 4, gamma, beta, eps);
    const { mean, variance } = blockStats(x.data, 4);
    const expected = Array.from(x.data, (v, i) => ((v - mean[Math.floor(i / 4)]) / Math.sqrt(variance[Math.floor(i / 4)] + eps)) * gamma.data[i % 4] + beta.data[i % 4]);
    assert.ok(maxAbsDiff(r.y.data, expected) < 1e-5);
    assert.deepEqual(r.invStd.shape, [6]);
  });

  it('group norm gradients match finite differences', () => {
    const x = randn([2, 6, 3, 2], rng, 2), gamma = randn([6], rng), beta = randn([6], rng);
    assertGradients({
      inputs: { x, gamma, beta },
      forward: () => groupNorm(x, 3, gamma, beta, eps).y,
      backward: (r) => {
        const g = groupNormBackward(r!, groupNorm(x, 3, gamma, beta, eps), gamma, 3);
        return { x: g.dx, gamma: g.dgamma, beta: g.dbeta };
      },
    });
  });

  it('instance norm (groups = C) gradients match finite differences, with and without affine', () => {
    const x = randn([2, 3, 3, 3], rng, 2), gamma = randn([3], rng), beta = randn([3], rng);
    assertGradients({
      inputs: { x, gamma, beta },
      forward: () => instanceNorm(x, gamma, beta, eps).y,
      backward: (r) => {
        const g = instanceNormBackward(r!, instanceNorm(x, gamma, beta, eps), gamma);
        return { x: g.dx, gamma: g.dgamma, beta: g.dbeta };
      },
    });
    assertGradients({
      inputs: { x },
      forward: () => instanceNorm(x, null, null, eps).y,
      backward: (r) => ({ x: instanceNormBackward(r!, instanceNorm(x, null, null, eps), null).dx }),
    });
  });

  for (const [shape, D] of [[[4, 6], 6], [[3, 2, 2, 3], 12], [[3, 2, 2, 3], 6]] as const) {
    it(`layer norm gradients match finite differences (x [${shape.join(', ')}], normalized size ${D})`, () => {
      const x = randn(shape, rng, 2), gamma = randn([D], rng), beta = randn([D], rng);
      assertGradients({
        inputs: { x, gamma, beta },
        forward: () => layerNorm(x, D, gamma, beta, eps).y,
        backward: (r) => {
          const g = layerNormBackward(r!, layerNorm(x, D, gamma, beta, eps), gamma);
          return { x: g.dx, gamma: g.dgamma, beta: g.dbeta };
        },
      });
    });
  }

  it('rejects bad groups and normalized sizes', () => {
    assert.throws(() => groupNorm(new Tensor([2, 6, 2, 2]), 4, null, null, eps), /groupNorm: the 6 input channels of \[2, 6, 2, 2\] must be divisible by num_groups \(4\)/);
    assert.throws(() => layerNorm(new Tensor([2, 6, 2, 2]), 5, null, null, eps), /normalized size 5 is not the product of trailing dims/);
    assert.throws(() => layerNorm(new Tensor([2, 6]), 6, new Tensor([5]), null, eps), /layerNorm: gamma must have shape \[6\], got \[5\]/);
  });
});
