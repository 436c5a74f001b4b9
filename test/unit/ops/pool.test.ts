import assert from 'node:assert/strict';
import { avgPool2d, avgPool2dGrad, maxPool2d, maxPool2dGrad, pool2dAttrs } from '../../../src/engine/ops';
import { setSimdEnabled } from '../../../src/engine/backends/cpu/simd';
import { setCpuThreads, cpuThreads, threadsReady } from '../../../src/engine/backends/cpu/threads';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';
import { assertGradients, distinct, randn } from './gradcheck';

const x3 = () => Tensor.from([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('ops/pooling', () => {
  it('max pool 2x2 stride 2 (the seed net) picks each window max and its index', () => {
    const x = Tensor.from([1, 1, 2, 4], [1, 5, 2, 0, 3, 4, 8, 7]);
    const { y, argmax } = maxPool2d(x, pool2dAttrs({ kernel: 2 }));
    assert.deepEqual(y.shape, [1, 1, 1, 2]);
    assert.deepEqual([...y.data], [5, 8]);
    assert.deepEqual([...argmax.ints], [1, 6]);
  });

  it('max pool with padding treats the padding as -inf (all-negative input)', () => {
    const x = Tensor.from([1, 1, 3, 3], [-1, -2, -3, -4, -5, -6, -7, -8, -9]);
    const { y } = maxPool2d(x, pool2dAttrs({ kernel: 2, stride: 2, padding: 1 }));
    assert.deepEqual([...y.data], [-1, -2, -4, -5]);
    // kernel 3 stride 1 padding 1 keeps the size
    assert.deepEqual([...maxPool2d(x3(), pool2dAttrs({ kernel: 3, stride: 1, padding: 1 })).y.data], [5, 6, 6, 8, 9, 9, 8, 9, 9]);
  });

  it('max pool picks the first maximum on ties and the last NaN, like PyTorch (fast 2x2 and general paths)', () => {
    const rng = new Rng(12);
    const x = new Tensor([2, 3, 6, 8]);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.next() < 0.05 ? NaN : rng.int(4);
    for (const attrs of [pool2dAttrs({ kernel: 2 }), pool2dAttrs({ kernel: 3, stride: 2, padding: 1 })]) {
      const { y, argmax } = maxPool2d(x, attrs);
      const [, , OH, OW] = y.shape;
      let o = 0;
      for (let plane = 0; plane < 6; plane++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++, o++) {
        let best = -1, max = -Infinity; // PyTorch's scan: take v if v > max or v is NaN
        for (let h = oh * attrs.stride[0] - attrs.padding[0]; h < oh * attrs.stride[0] - attrs.padding[0] + attrs.kernel[0]; h++) {
          for (let w = ow * attrs.stride[1] - attrs.padding[1]; w < ow * attrs.stride[1] - attrs.padding[1] + attrs.kernel[1]; w++) {
            if (h < 0 || h >= 6 || w < 0 || w >= 8) continue;
            const i = plane * 48 + h * 8 + w, v = x.data[i];
            if (best < 0 || v > max || Number.isNaN(v)) {
              best = i;
              max = v;
            }
          }
        }
        assert.equal(argmax.ints[o], best, `output ${o}`);
        assert.ok(Object.is(y.data[o], x.data[best]));
      }
    }
  });

  it('max pool 2x2 and its gradient: the SIMD kernels on 3 threads give the plain loops\' bits (ties, NaN, −0, odd sizes, many chunks)', async () => {
    const threads = cpuThreads();
    setCpuThreads(3);
    await threadsReady();
    try {
      const rng = new Rng(4);
      const values = [0, -0, 1, -1, NaN, 2, Infinity, -Infinity];
      for (const shape of [[3, 70, 9, 11], [8, 100, 28, 28], [1, 1, 2, 2]]) {
        const x = new Tensor(shape), dy = new Tensor([shape[0], shape[1], shape[2] >> 1, shape[3] >> 1]);
        for (let i = 0; i < x.size; i++) x.data[i] = rng.next() < 0.5 ? values[rng.int(values.length)] : rng.normal();
        for (let i = 0; i < dy.size; i++) dy.data[i] = rng.next() < 0.2 ? values[rng.int(values.length)] : rng.normal();
        const run = (simd: boolean) => {
          setSimdEnabled(simd);
          const attrs = pool2dAttrs({ kernel: 2 });
          const { y, argmax } = maxPool2d(x, attrs);
          const dx = Tensor.filled(shape, 7); // the kernel must write every value
          maxPool2dGrad(dy, argmax, shape, attrs, dx);
          return { y: new Int32Array(y.data.slice().buffer), argmax: argmax.ints.slice(), dx: new Int32Array(dx.data.slice().buffer) };
        };
        const plain = run(false), simd = run(true);
        for (const k of ['y', 'argmax', 'dx'] as const) assert.deepEqual(simd[k], plain[k], `${k} of ${shape}`);
      }
    } finally {
      setSimdEnabled(true);
      setCpuThreads(threads);
    }
  });

  it('max pool propagates NaN', () => {
    const x = Tensor.from([1, 1, 2, 2], [1, NaN, 3, 4]);
    assert.ok(Number.isNaN(maxPool2d(x, pool2dAttrs({ kernel: 2 })).y.data[0]));
  });

  for (const [name, attrs] of [
    ['kernel 2 stride 2', { kernel: 2 }],
    ['kernel 3 stride 2 padding 1', { kernel: 3, stride: 2, padding: 1 }],
    ['kernel 2x3 stride 1 padding [1, 0] (overlapping windows)', { kernel: [2, 3], stride: 1, padding: [1, 0] }],
  ] as const) {
    it(`max pool gradient matches finite differences (${name})`, () => {
      const x = distinct([2, 2, 5, 6], new Rng(name.length));
      const a = pool2dAttrs(attrs as Parameters<typeof pool2dAttrs>[0]);
      assertGradients({
        inputs: { x },
        forward: () => maxPool2d(x, a).y,
        backward: (r) => ({ x: maxPool2dGrad(r!, maxPool2d(x, a).argmax, x.shape, a) }),
      });
    });

    it(`avg pool gradient matches finite differences (${name})`, () => {
      const x = randn([2, 2, 5, 6], new Rng(name.length));
      const a = pool2dAttrs(attrs as Parameters<typeof pool2dAttrs>[0]);
      assertGradients({
        inputs: { x },
        forward: () => avgPool2d(x, a),
        backward: (r) => ({ x: avgPool2dGrad(r!, x.shape, a) }),
      });
    });
  }

  it('avg pool counts the padding (count_include_pad=true)', () => {
    const y = avgPool2d(x3(), pool2dAttrs({ kernel: 2, stride: 2, padding: 1 }));
    assert.deepEqual([...y.data], [1 / 4, (2 + 3) / 4, (4 + 7) / 4, (5 + 6 + 8 + 9) / 4]);
  });

  it('rejects padding over half the kernel, windows that do not fit and bad shapes', () => {
    assert.throws(() => maxPool2d(x3(), pool2dAttrs({ kernel: 2, padding: 2 })), /maxPool2d: padding 2x2 should be at most half of the kernel size 2x2/);
    assert.throws(() => maxPool2d(x3(), pool2dAttrs({ kernel: 4 })), /kernel 4x4 does not fit input 3x3/);
    assert.throws(() => avgPool2d(new Tensor([3, 3]), pool2dAttrs({ kernel: 2 })), /avgPool2d: input must be 4-D/);
    assert.throws(() => avgPool2dGrad(new Tensor([1, 1, 2, 2]), [1, 1, 3, 3], pool2dAttrs({ kernel: 2 })), /dy must have shape \[1, 1, 1, 1\]/);
  });
});
