import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { matmul } from '../../../src/engine/backends/cpu/gemm';
import { setSimdEnabled } from '../../../src/engine/backends/cpu/simd';
import {
  batchNormBackward, batchNormInfer, batchNormTrain, conv2d, conv2dAttrs, conv2dBackward, linear, linearBackward, relu, reluGrad,
} from '../../../src/engine/ops';
import { createOptimizer } from '../../../src/engine/optim';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';
import { maxAbsDiff, randn } from './gradcheck';

/** float64 reference of C (+)= op(A)·op(B) with the same strided layouts as matmul. */
function reference(
  tA: boolean, tB: boolean, M: number, N: number, K: number,
  A: Float32Array, lda: number, B: Float32Array, ldb: number, C: Float32Array, ldc: number, acc: boolean,
): Float64Array {
  const out = new Float64Array(C.length);
  for (let i = 0; i < C.length; i++) out[i] = C[i];
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = acc ? C[i * ldc + j] : 0;
    for (let k = 0; k < K; k++) s += (tA ? A[k * lda + i] : A[i * lda + k]) * (tB ? B[j * ldb + k] : B[k * ldb + j]);
    out[i * ldc + j] = s;
  }
  return out;
}

for (const simd of [true, false]) {
  describe(`cpu kernels (${simd ? 'WebAssembly SIMD' : 'plain JS'})`, () => {
    before(function () {
      if (!setSimdEnabled(simd) && simd) this.skip();
    });
    after(() => setSimdEnabled(true));

    it('matches a float64 reference for all transposes, odd sizes, strides and accumulate', () => {
      const rng = new Rng(1);
      for (const [M, N, K] of [[1, 1, 1], [4, 8, 3], [5, 9, 7], [13, 30, 300], [32, 25, 784], [8, 17, 0], [3, 5, 2], [8, 300, 20], [6, 520, 40]]) {
        for (const tA of [false, true]) for (const tB of [false, true]) for (const acc of [false, true]) {
          const lda = (tA ? M : K) + 2, ldb = (tB ? K : N) + 1, ldc = N + 3;
          const A = randn([(tA ? K : M) * lda], rng).data, B = randn([(tB ? N : K) * ldb], rng).data;
          const C = randn([M * ldc], rng).data;
          const want = reference(tA, tB, M, N, K, A, lda, B, ldb, C, ldc, acc);
          matmul(tA, tB, M, N, K, A, 0, lda, B, 0, ldb, C, 0, ldc, acc);
          const err = maxAbsDiff(C, want);
          assert.ok(err < 1e-5 * Math.max(1, Math.sqrt(K)) * 4, `M=${M} N=${N} K=${K} tA=${tA} tB=${tB} acc=${acc}: ${err}`);
        }
      }
    });

    it('conv2d and linear give the same results as on the other path', () => {
      const rng = new Rng(2);
      const x = randn([3, 4, 7, 6], rng), w = randn([8, 2, 3, 3], rng), b = randn([8], rng);
      // strided (plain im2col) and stride 1 with uneven padding (the SIMD kernel's im2col)
      const attrs = conv2dAttrs({ groups: 2, padding: 1, stride: [2, 1] }), attrs1 = conv2dAttrs({ groups: 2, padding: [2, 1] });
      const run = () => {
        const y = conv2d(x, w, b, attrs);
        const g = conv2dBackward(y, x, w, attrs, true);
        const y1 = conv2d(x, w, b, attrs1);
        const g1 = conv2dBackward(y1, x, w, attrs1, true);
        // kernel rows of 5 and 6 (the patch-major im2col copies runs of 4, then single values)
        const w5 = randn([4, 4, 3, 5], new Rng(5)), w6 = randn([4, 4, 2, 6], new Rng(6));
        const g5 = conv2dBackward(conv2d(x, w5, null, conv2dAttrs({ padding: [1, 2] })), x, w5, conv2dAttrs({ padding: [1, 2] }), false);
        const g6 = conv2dBackward(conv2d(x, w6, null, conv2dAttrs({ padding: [0, 3] })), x, w6, conv2dAttrs({ padding: [0, 3] }), false);
        // 8×6 = 48 output pixels, a multiple of 4: the filter gradient as dot products (gemmNT)
        const x8 = randn([3, 4, 8, 6], new Rng(7)), a8 = conv2dAttrs({ groups: 2, padding: 1 });
        const g8 = conv2dBackward(conv2d(x8, w, b, a8), x8, w, a8, false);
        const lx = randn([5, 12], new Rng(3)), lw = randn([7, 12], new Rng(4));
        const ly = linear(lx, lw, null);
        const lg = linearBackward(ly, lx, lw, true);
        return [y, g.dx!, g.dw, g.db, y1, g1.dx!, g1.dw, g1.db, g5.dw, g6.dw, g8.dw, g8.db, ly, lg.dx!, lg.dw].map((t) => t.data.slice());
      };
      const here = run();
      setSimdEnabled(!simd);
      const other = run();
      setSimdEnabled(simd);
      here.forEach((h, i) => assert.ok(maxAbsDiff(h, other[i]) < 1e-4, `output ${i}`));
    });

    it('relu and its gradient give bit-identical results on both paths, special values included', () => {
      const rng = new Rng(6);
      const x = randn([5003], rng); // large enough for SIMD, with a tail of 3
      const specials = [NaN, -NaN, 0, -0, Infinity, -Infinity, 1e-42, -1e-42, 3.4e38, -3.4e38];
      specials.forEach((v, i) => (x.data[i * 500 + 1] = v));
      new Int32Array(x.data.buffer, x.data.byteOffset, x.size)[5002] = 0xffc00000 | 0; // a NaN with the sign bit set, in the tail
      const dy = randn([5003], rng);
      const run = () => {
        const y = relu(x);
        return [y.data.slice(), reluGrad(dy, y).data.slice()];
      };
      const here = run();
      setSimdEnabled(!simd);
      const other = run();
      setSimdEnabled(simd);
      for (let k = 0; k < 2; k++) {
        assert.deepEqual(new Int32Array(here[k].buffer), new Int32Array(other[k].buffer), `output ${k}`);
      }
      const y = here[0];
      assert.ok(Number.isNaN(y[1]) && Number.isNaN(y[501]) && Number.isNaN(y[5002]));
      assert.ok(Object.is(y[1001], 0) && Object.is(y[1501], 0), 'zeros, and -0 becomes +0');
      assert.ok(y[2001] === Infinity && Object.is(y[2501], 0), '+inf kept, -inf cleared');
      assert.ok(y[3001] > 0 && Object.is(y[3501], 0), 'denormals');
      assert.ok(y[4001] > 3e38 && Object.is(y[4501], 0), 'large values');
    });

    it('adam and adamw (with and without weight decay) give bit-identical weights on both paths', () => {
      for (const [name, weightDecay] of [['adam', 0], ['adam', 0.1], ['adamw', 0.01]] as const) {
        const run = () => {
          const rng = new Rng(8);
          const params = [{ name: 'w', value: randn([1001], rng), grad: randn([1001], rng) }];
          const opt = createOptimizer(name, params, { lr: 0.01, weightDecay });
          for (let t = 0; t < 3; t++) opt.step();
          return new Int32Array(params[0].value.data.slice().buffer);
        };
        const here = run();
        setSimdEnabled(!simd);
        const other = run();
        setSimdEnabled(simd);
        assert.deepEqual(here, other, `${name}, weight decay ${weightDecay}`);
      }
    });

    it('batch norm (train, eval, backward) gives the same results as on the other path', () => {
      const rng = new Rng(5);
      const x = randn([4, 3, 7, 9], rng, 3), dy = randn([4, 3, 7, 9], rng);
      const gamma = randn([3], rng), beta = randn([3], rng), mean = randn([3], rng);
      const variance = Float32Array.from([0.5, 1, 2]);
      const run = () => {
        const t = batchNormTrain(x, gamma, beta, 1e-5);
        const e = batchNormInfer(x, mean, new Tensor([3], variance), gamma, beta, 1e-5);
        const gt = batchNormBackward(dy, t, gamma, true);
        const ge = batchNormBackward(dy, e, gamma, false);
        return [t.y, t.xhat, t.mean, t.varBiased, t.varUnbiased, e.y, e.xhat, gt.dx, gt.dgamma, gt.dbeta, ge.dx, ge.dgamma].map((v) => v.data.slice());
      };
      const here = run();
      setSimdEnabled(!simd);
      const other = run();
      setSimdEnabled(simd);
      here.forEach((h, i) => assert.ok(maxAbsDiff(h, other[i]) < 1e-5, `output ${i}: ${maxAbsDiff(h, other[i])}`));
    });
  });
}

describe('simd.wat', () => {
  it('simd-wasm.ts is up to date with simd.wat', () => {
    execFileSync(process.execPath, [join(__dirname, '../../../scripts/gen-simd-wasm.mjs'), '--check']);
  });
});
