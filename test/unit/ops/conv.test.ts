import assert from 'node:assert/strict';
import { conv2d, conv2dAttrs, conv2dBackward, OpError } from '../../../src/engine/ops';
import type { Conv2DAttrs } from '../../../src/engine/kernel-names';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';
import { assertGradients, gradCheckFailures, maxAbsDiff, randn } from './gradcheck';

/** Direct-loop conv (float64 sums): an independent reference for the im2col/GEMM kernels. */
function referenceConv(x: Tensor, w: Tensor, b: Tensor | null, a: Conv2DAttrs): Float64Array {
  const [N, C, H, W] = x.shape;
  const [O, Cg, KH, KW] = w.shape;
  const Og = O / a.groups;
  const OH = Math.floor((H + 2 * a.padding[0] - a.dilation[0] * (KH - 1) - 1) / a.stride[0]) + 1;
  const OW = Math.floor((W + 2 * a.padding[1] - a.dilation[1] * (KW - 1) - 1) / a.stride[1]) + 1;
  const y = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    const g = Math.floor(o / Og);
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      let s = b ? b.data[o] : 0;
      for (let c = 0; c < Cg; c++) for (let ki = 0; ki < KH; ki++) for (let kj = 0; kj < KW; kj++) {
        const ih = oh * a.stride[0] - a.padding[0] + ki * a.dilation[0];
        const iw = ow * a.stride[1] - a.padding[1] + kj * a.dilation[1];
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        s += x.data[((n * C + g * Cg + c) * H + ih) * W + iw] * w.data[((o * Cg + c) * KH + ki) * KW + kj];
      }
      y[((n * O + o) * OH + oh) * OW + ow] = s;
    }
  }
  return y;
}

interface Case {
  name: string;
  x: number[];
  w: number[];
  bias: boolean;
  attrs: Parameters<typeof conv2dAttrs>[0];
}

const cases: Case[] = [
  { name: 'plain 3x3', x: [2, 3, 6, 5], w: [4, 3, 3, 3], bias: true, attrs: {} },
  { name: 'stride 2 + padding 1', x: [2, 2, 7, 6], w: [4, 2, 3, 3], bias: true, attrs: { stride: 2, padding: 1 } },
  { name: 'dilation 2 + padding 2', x: [1, 2, 8, 8], w: [4, 2, 3, 3], bias: true, attrs: { dilation: 2, padding: 2 } },
  { name: 'groups 2', x: [2, 4, 5, 5], w: [8, 2, 3, 3], bias: true, attrs: { groups: 2, padding: 1 } },
  { name: 'depthwise (groups = C)', x: [2, 3, 6, 6], w: [3, 1, 3, 3], bias: true, attrs: { groups: 3, padding: 1 } },
  { name: 'depthwise multiplier 2, stride 2', x: [1, 2, 7, 7], w: [4, 1, 3, 3], bias: false, attrs: { groups: 2, stride: 2 } },
  { name: 'no bias, rectangular kernel and asymmetric attrs', x: [2, 2, 6, 7], w: [5, 2, 2, 3], bias: false, attrs: { stride: [1, 2], padding: [1, 0], dilation: [2, 1] } },
  { name: 'seed-like 5x5 single channel, padding 2', x: [2, 1, 8, 8], w: [5, 1, 5, 5], bias: true, attrs: { padding: 2 } },
  { name: '1x1', x: [3, 5, 4, 4], w: [6, 5, 1, 1], bias: true, attrs: {} },
  { name: 'groups 3, 3 outputs per group, stride 2, padding 2', x: [2, 6, 7, 7], w: [9, 2, 3, 3], bias: true, attrs: { groups: 3, stride: 2, padding: 2 } },
];

describe('ops/conv2d', () => {
  it('forward matches a hand-computed 3x3 example', () => {
    const x = Tensor.from([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = Tensor.from([1, 1, 2, 2], [1, 0, 0, 1]); // y = x[i,j] + x[i+1,j+1] + 10
    assert.deepEqual([...conv2d(x, w, Tensor.from([1], [10]), conv2dAttrs()).data], [16, 18, 22, 24]);
    // padding 1, stride 2: the corners see one tap each
    const y = conv2d(x, w, null, conv2dAttrs({ padding: 1, stride: 2 }));
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    assert.deepEqual([...y.data], [1, 3, 7, 14]);
  });

  for (const c of cases) {
    describe(c.name, () => {
      const rng = new Rng(c.name.length);
      const attrs = conv2dAttrs(c.attrs);
      const x = randn(c.x, rng);
      const w = randn(c.w, rng, 0.5);
      const b = c.bias ? randn([c.w[0]], rng) : null;

      it('forward matches a direct-loop reference', () => {
        const y = conv2d(x, w, b, attrs);
        assert.ok(maxAbsDiff(y.data, referenceConv(x, w, b, attrs)) < 1e-5);
      });

      it('gradients to input, filter and bias match finite differences', () => {
        const inputs: Record<string, Tensor> = b ? { x, w, b } : { x, w };
        assertGradients({
          inputs,
          forward: () => conv2d(x, w, b, attrs),
          backward: (r) => {
            const g = conv2dBackward(r!, x, w, attrs, true);
            return { x: g.dx!, w: g.dw, b: g.db };
          },
        });
      });
    });
  }

  it('a wrong gradient fails the check', () => {
    const rng = new Rng(3);
    const attrs = conv2dAttrs({ padding: 1 });
    const x = randn([1, 2, 4, 4], rng);
    const w = randn([2, 2, 3, 3], rng);
    const failures = gradCheckFailures({
      inputs: { w },
      forward: () => conv2d(x, w, null, attrs),
      backward: (r) => {
        const dw = conv2dBackward(r!, x, w, attrs, false).dw.clone();
        dw.data[5] *= 1.05;
        return { w: dw };
      },
    });
    assert.equal(failures.length, 1);
    assert.match(failures[0], /dw\[5\]/);
  });

  it('reuses out buffers and skips dx when not needed', () => {
    const rng = new Rng(5);
    const attrs = conv2dAttrs({ padding: 2 });
    const x = randn([2, 1, 6, 6], rng);
    const w = randn([3, 1, 5, 5], rng);
    const y1 = conv2d(x, w, null, attrs);
    assert.equal(conv2d(x, w, null, attrs, y1), y1);
    const g1 = conv2dBackward(y1, x, w, attrs, false);
    assert.equal(g1.dx, null);
    const g2 = conv2dBackward(y1, x, w, attrs, false, g1);
    assert.equal(g2.dw, g1.dw);
    assert.equal(g2.db, g1.db);
  });

  it('rejects mismatched shapes with a message naming both', () => {
    const x = new Tensor([1, 3, 8, 8]);
    assert.throws(() => conv2d(x, new Tensor([4, 2, 3, 3]), null, conv2dAttrs()),
      (e: Error) => e instanceof OpError && /input \[1, 3, 8, 8\] has 3 channels, but weight \[4, 2, 3, 3\]/.test(e.message));
    assert.throws(() => conv2d(x, new Tensor([4, 3, 3, 3]), new Tensor([5]), conv2dAttrs()), /conv2d: bias must have shape \[4\], got \[5\]/);
    assert.throws(() => conv2d(new Tensor([3, 8, 8]), new Tensor([4, 3, 3, 3]), null, conv2dAttrs()), /input must be 4-D/);
    assert.throws(() => conv2d(x, new Tensor([4, 3, 9, 9]), null, conv2dAttrs()), /does not fit input 8x8/);
    assert.throws(() => conv2d(x, new Tensor([4, 1, 3, 3]), null, conv2dAttrs({ groups: 2 })), /groups=2 must divide/);
    assert.throws(() => conv2dBackward(new Tensor([1, 4, 5, 5]), x, new Tensor([4, 3, 3, 3]), conv2dAttrs(), true), /dy must have shape \[1, 4, 6, 6\]/);
  });
});
