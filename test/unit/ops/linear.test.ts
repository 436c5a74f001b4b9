import assert from 'node:assert/strict';
import { flatten, linear, linearBackward, OpError } from '../../../src/engine/ops';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';
import { assertGradients, maxAbsDiff, randn } from './gradcheck';

describe('ops/linear', () => {
  it('forward matches a hand-computed example', () => {
    const x = Tensor.from([2, 3], [1, 2, 3, 4, 5, 6]);
    const w = Tensor.from([2, 3], [1, 0, -1, 0.5, 0.5, 0.5]);
    const y = linear(x, w, Tensor.from([2], [10, 0]));
    assert.deepEqual([...y.data], [8, 3, 8, 7.5]);
  });

  it('forward matches float64 dot products on GEMM-tile edge sizes', () => {
    const rng = new Rng(1);
    for (const [N, I, O] of [[1, 1, 1], [5, 7, 6], [9, 33, 13], [4, 64, 8]]) {
      const x = randn([N, I], rng), w = randn([O, I], rng), b = randn([O], rng);
      const ref = new Float64Array(N * O);
      for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
        let s = b.data[o];
        for (let i = 0; i < I; i++) s += x.data[n * I + i] * w.data[o * I + i];
        ref[n * O + o] = s;
      }
      assert.ok(maxAbsDiff(linear(x, w, b).data, ref) < 1e-5, `N=${N} I=${I} O=${O}`);
    }
  });

  for (const [N, I, O, bias] of [[5, 7, 6, true], [8, 12, 4, false], [1, 3, 2, true]] as const) {
    it(`gradients to input, weight and bias match finite differences (N=${N}, I=${I}, O=${O}, bias=${bias})`, () => {
      const rng = new Rng(N * 100 + I);
      const x = randn([N, I], rng), w = randn([O, I], rng), b = bias ? randn([O], rng) : null;
      assertGradients({
        inputs: b ? { x, w, b } : { x, w },
        forward: () => linear(x, w, b),
        backward: (r) => {
          const g = linearBackward(r!, x, w, true);
          return { x: g.dx!, w: g.dw, b: g.db };
        },
      });
    });
  }

  it('skips dx when not needed and reuses out buffers', () => {
    const rng = new Rng(2);
    const x = randn([3, 4], rng), w = randn([2, 4], rng);
    const y = linear(x, w, null);
    const g = linearBackward(y, x, w, false);
    assert.equal(g.dx, null);
    assert.equal(linearBackward(y, x, w, false, g).dw, g.dw);
  });

  it('rejects mismatched shapes with a message naming both', () => {
    assert.throws(() => linear(new Tensor([100, 6272]), new Tensor([128, 6000]), null),
      (e: Error) => e instanceof OpError && e.message === 'linear: input [100, 6272] has 6272 features, but weight [128, 6000] expects 6000');
    assert.throws(() => linear(new Tensor([2, 3, 4]), new Tensor([5, 4]), null), /linear: input must be 2-D \[N, in_features\], got \[2, 3, 4\]/);
    assert.throws(() => linear(new Tensor([2, 4]), new Tensor([5, 4]), new Tensor([4])), /bias must have shape \[5\]/);
    assert.throws(() => linearBackward(new Tensor([2, 4]), new Tensor([2, 4]), new Tensor([5, 4]), true), /dy must have shape \[2, 5\], got \[2, 4\]/);
  });

  it('flatten is an NCHW-order view', () => {
    const x = Tensor.from([2, 2, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const f = flatten(x);
    assert.deepEqual(f.shape, [2, 4]);
    assert.equal(f.data, x.data);
  });
});
