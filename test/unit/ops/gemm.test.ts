import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { matmul, setSimdEnabled } from '../../../src/engine/backends/cpu/gemm';
import { conv2d, conv2dAttrs, conv2dBackward, linear, linearBackward } from '../../../src/engine/ops';
import { Rng } from '../../../src/engine/rng';
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
  describe(`cpu matmul (${simd ? 'WebAssembly SIMD' : 'plain JS'})`, () => {
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
      const x = randn([3, 4, 7, 6], rng), w = randn([6, 2, 3, 3], rng), b = randn([6], rng);
      const attrs = conv2dAttrs({ groups: 2, padding: 1, stride: [2, 1] });
      const run = () => {
        const y = conv2d(x, w, b, attrs);
        const g = conv2dBackward(y, x, w, attrs, true);
        const lx = randn([5, 12], new Rng(3)), lw = randn([7, 12], new Rng(4));
        const ly = linear(lx, lw, null);
        const lg = linearBackward(ly, lx, lw, true);
        return [y, g.dx!, g.dw, g.db, ly, lg.dx!, lg.dw].map((t) => t.data.slice());
      };
      const here = run();
      setSimdEnabled(!simd);
      const other = run();
      setSimdEnabled(simd);
      here.forEach((h, i) => assert.ok(maxAbsDiff(h, other[i]) < 1e-4, `output ${i}`));
    });
  });
}

describe('gemm.wat', () => {
  it('gemm-wasm.ts is up to date with gemm.wat', () => {
    execFileSync(process.execPath, [join(__dirname, '../../../scripts/gen-gemm-wasm.mjs'), '--check']);
  });
});
