import { scratch } from './scratch';
import { heapOffset, scratchAt, views } from './heap';
import { simdKernels } from './simd';
import { parallel } from './threads';

/**
 * Float32 matrix multiply, the workhorse of linear and conv; callers use matmul() or matmulFilled().
 * Fast path: a WebAssembly SIMD kernel (gemm in simd.wat, i-k-j order with a 4×8 register tile, f32x4),
 * ~4x the plain-JS speed. Fallback, in plain JS, is "NT":
 *   C[M,N] (+)= A[M,K] · B[N,K]ᵀ
 * so both operands are read along contiguous rows (dot products over k). In V8 this beats the
 * i-k-j order by ~2x: the inner loop keeps a 4×4 tile of C in locals (register tiling), reads 8
 * values per 16 multiply-adds and accumulates in float64.
 * Offsets and leading dimensions (lda, ldb, ldc = row strides) let callers address sub-matrices.
 */
export function gemmNT(
  M: number, N: number, K: number,
  A: Float32Array, aOff: number, lda: number,
  B: Float32Array, bOff: number, ldb: number,
  C: Float32Array, cOff: number, ldc: number,
  accumulate: boolean,
): void {
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let i = 0; i < M4; i += 4) {
    const a0 = aOff + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (let j = 0; j < N4; j += 4) {
      const b0 = bOff + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = B[b0 + k], x1 = B[b1 + k], x2 = B[b2 + k], x3 = B[b3 + k];
        let a = A[a0 + k];
        c00 += a * x0; c01 += a * x1; c02 += a * x2; c03 += a * x3;
        a = A[a1 + k];
        c10 += a * x0; c11 += a * x1; c12 += a * x2; c13 += a * x3;
        a = A[a2 + k];
        c20 += a * x0; c21 += a * x1; c22 += a * x2; c23 += a * x3;
        a = A[a3 + k];
        c30 += a * x0; c31 += a * x1; c32 += a * x2; c33 += a * x3;
      }
      let o = cOff + i * ldc + j;
      if (accumulate) {
        C[o] += c00; C[o + 1] += c01; C[o + 2] += c02; C[o + 3] += c03; o += ldc;
        C[o] += c10; C[o + 1] += c11; C[o + 2] += c12; C[o + 3] += c13; o += ldc;
        C[o] += c20; C[o + 1] += c21; C[o + 2] += c22; C[o + 3] += c23; o += ldc;
        C[o] += c30; C[o + 1] += c31; C[o + 2] += c32; C[o + 3] += c33;
      } else {
        C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03; o += ldc;
        C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13; o += ldc;
        C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23; o += ldc;
        C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
      }
    }
    // Leftover columns (N % 4): one column of 4 rows at a time.
    for (let j = N4; j < N; j++) {
      const b0 = bOff + j * ldb;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let k = 0; k < K; k++) {
        const x = B[b0 + k];
        c0 += A[a0 + k] * x; c1 += A[a1 + k] * x; c2 += A[a2 + k] * x; c3 += A[a3 + k] * x;
      }
      const o = cOff + i * ldc + j;
      if (accumulate) {
        C[o] += c0; C[o + ldc] += c1; C[o + 2 * ldc] += c2; C[o + 3 * ldc] += c3;
      } else {
        C[o] = c0; C[o + ldc] = c1; C[o + 2 * ldc] = c2; C[o + 3 * ldc] = c3;
      }
    }
  }
  // Leftover rows (M % 4): one row against 4 columns at a time.
  for (let i = M4; i < M; i++) {
    const a0 = aOff + i * lda;
    const o = cOff + i * ldc;
    let j = 0;
    for (; j < N4; j += 4) {
      const b0 = bOff + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let k = 0; k < K; k++) {
        const a = A[a0 + k];
        c0 += a * B[b0 + k]; c1 += a * B[b1 + k]; c2 += a * B[b2 + k]; c3 += a * B[b3 + k];
      }
      if (accumulate) {
        C[o + j] += c0; C[o + j + 1] += c1; C[o + j + 2] += c2; C[o + j + 3] += c3;
      } else {
        C[o + j] = c0; C[o + j + 1] = c1; C[o + j + 2] = c2; C[o + j + 3] = c3;
      }
    }
    for (; j < N; j++) {
      const b0 = bOff + j * ldb;
      let c = 0;
      for (let k = 0; k < K; k++) c += A[a0 + k] * B[b0 + k];
      if (accumulate) C[o + j] += c;
      else C[o + j] = c;
    }
  }
}

/**
 * dst[c·dld + r] = src[r·sld + c] for a rows×cols block (sld, dld: row strides), in cache-sized tiles.
 */
export function transpose(
  src: Float32Array, sOff: number, sld: number, rows: number, cols: number,
  dst: Float32Array, dOff: number, dld: number,
): void {
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(r0 + T, rows);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(c0 + T, cols);
      for (let r = r0; r < r1; r++) {
        const s = sOff + r * sld;
        for (let c = c0; c < c1; c++) dst[dOff + c * dld + r] = src[s + c];
      }
    }
  }
}

/** Source rows per parallel chunk of a transpose. */
const TRANSPOSE_ROWS = 16;

/** transpose() on the SIMD kernel across threads where both arrays live in the heap. */
function transposeFast(
  src: Float32Array, sOff: number, sld: number, rows: number, cols: number,
  dst: Float32Array, dOff: number, dld: number,
): void {
  const s = heapOffset(src), d = heapOffset(dst);
  if (s >= 0 && d >= 0 && parallel('transpose', rows, TRANSPOSE_ROWS, 2, [s + 4 * sOff, sld, 0, cols, d + 4 * dOff, dld], [4 * sld, 0, 0, 0, 4, 0])) return;
  transpose(src, sOff, sld, rows, cols, dst, dOff, dld);
}

/**
 * General product, like BLAS sgemm without scalars:
 *   C[M,N] (+)= op(A)·op(B),  op(A) = A[M,K] (lda) or, with transA, the transpose of A stored [K,M];
 *                             op(B) = B[K,N] (ldb) or, with transB, the transpose of B stored [N,K].
 * Runs the WebAssembly SIMD kernel (simd.ts) when the runtime has it and M ≥ 4, else gemmNT.
 */
export function matmul(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  A: Float32Array, aOff: number, lda: number,
  B: Float32Array, bOff: number, ldb: number,
  C: Float32Array, cOff: number, ldc: number,
  accumulate: boolean,
): void {
  if (M === 0 || N === 0) return;
  if (transB && !transA && matmulNT(M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate)) return;
  if (M >= 4 && K > 0) {
    const aHeap = transA || M % 4 !== 0 ? -1 : heapOffset(A), bHeap = transB || N % 8 !== 0 ? -1 : heapOffset(B);
    const inA = aHeap >= 0 ? { at: aHeap + 4 * aOff, ld: lda } : null;
    const inB = bHeap >= 0 ? { at: bHeap + 4 * bOff, ld: ldb } : null;
    const fillA: Fill = transA
      ? (dst, off, ld) => transposeFast(A, aOff, lda, K, M, dst, off, ld)
      : (dst, off, ld) => copyRows(A, aOff, lda, M, K, dst, off, ld);
    const fillB: Fill = transB
      ? (dst, off, ld) => transposeFast(B, bOff, ldb, N, K, dst, off, ld)
      : (dst, off, ld) => copyRows(B, bOff, ldb, K, N, dst, off, ld);
    if (matmulSimd(M, N, K, fillA, fillB, inA, inB, C, cOff, ldc, accumulate)) return;
  }
  // gemmNT wants A as [M,K] rows and B as [N,K] rows.
  let a = A, ao = aOff, la = lda;
  if (transA) {
    a = scratch('matmul.a', M * K);
    transpose(A, aOff, lda, K, M, a, 0, K);
    ao = 0;
    la = K;
  }
  let b = B, bo = bOff, lb = ldb;
  if (!transB) {
    b = scratch('matmul.b', N * K);
    transpose(B, bOff, ldb, K, N, b, 0, K);
    bo = 0;
    lb = K;
  }
  gemmNT(M, N, K, a, ao, la, b, bo, lb, C, cOff, ldc, accumulate);
}

/**
 * Blocking: the kernel sums KC products of K in float32 (a [KC, N] panel of B stays in cache while
 * the rows of A pass), then adds the block to C in float64: on the seed conv's filter gradient (a
 * sum over 78 400 products) KC = 32 is 3e-6 from a float64 reference where PyTorch's float32 is
 * 1.6e-5 (KC = 64: 5e-6).
 */
export const KC = 64;
/** Reductions up to this length are summed in float32 in one pass, as BLAS would (no float64 C). */
export const SHORT_K = 128;
/** Rows of C per parallel chunk (a multiple of the kernel's 4). */
const ROWS_PER_CHUNK = 8;

/** Writes a matrix operand, row-major with row stride `ld`, at dst[off...] (see matmulFilled). */
export type Fill = (dst: Float32Array, off: number, ld: number) => void;

/**
 * C[M,N] (+)= A[M,K]·B[K,N] where fillA and fillB write A and B straight into the GEMM's buffers
 * (e.g. im2col into the kernel's memory), saving a copy of each operand.
 */
export function matmulFilled(
  M: number, N: number, K: number, fillA: Fill, fillB: Fill,
  C: Float32Array, cOff: number, ldc: number, accumulate: boolean,
): void {
  if (M === 0 || N === 0) return;
  if (M >= 4 && K > 0 && matmulSimd(M, N, K, fillA, fillB, null, null, C, cOff, ldc, accumulate)) return;
  const a = scratch('matmulFilled.a', M * K), b = scratch('matmulFilled.b', K * N);
  fillA(a, 0, K);
  fillB(b, 0, N);
  matmul(false, false, M, N, K, a, 0, K, b, 0, N, C, cOff, ldc, accumulate);
}

/** A row-major operand already in the heap: byte offset and row stride. */
interface InHeap {
  at: number;
  ld: number;
}

/**
 * The product on the SIMD kernel, split by rows of C over the CPU threads. Operands in the heap
 * with the kernel's padding (inA, inB: A rows a multiple of 4, B columns of 8) are read in place,
 * others written into scratch by their fill. Returns false (having done nothing) where the SIMD
 * kernels or enough memory for them are missing.
 */
function matmulSimd(
  M: number, N: number, K: number, fillA: Fill, fillB: Fill, inA: InHeap | null, inB: InHeap | null,
  C: Float32Array, cOff: number, ldc: number, accumulate: boolean,
): boolean {
  // A as f32 [Mp, K], B as f32 [K, Np], C as f64 [Mp, Np] (or f32 for one short reduction),
  // padded to the kernel's 4×8 blocks with zeros; the padded part of C is discarded.
  const Mp = (M + 3) & ~3, Np = (N + 7) & ~7;
  const wide = K > SHORT_K || accumulate;
  const aAt = inA ? inA.at : scratchAt('gemm.a', Mp * K * 4);
  const bAt = inB ? inB.at : scratchAt('gemm.b', K * Np * 4);
  // One short reduction into a padded C in the heap is written in place.
  const cHeap = wide || M % 4 !== 0 || N % 8 !== 0 ? -1 : heapOffset(C);
  const ldcK = cHeap >= 0 ? ldc : Np;
  const cAt = cHeap >= 0 ? cHeap + 4 * cOff : scratchAt('gemm.c', Mp * Np * (wide ? 8 : 4));
  if (aAt < 0 || bAt < 0 || cAt < 0 || !simdKernels()) return false;
  const { f32, f64 } = views()!;
  if (!inA) {
    fillA(f32, aAt >> 2, K);
    f32.fill(0, (aAt >> 2) + M * K, (aAt >> 2) + Mp * K);
  }
  if (!inB) {
    if (Np > N) f32.fill(0, bAt >> 2, (bAt >> 2) + K * Np);
    fillB(f32, bAt >> 2, Np);
  }
  const lda = inA ? inA.ld : K, ldb = inB ? inB.ld : Np;
  const c = cAt >> (wide ? 3 : 2);
  if (wide) startWide(f64, c, Mp, Np, M, N, C, cOff, ldc, accumulate);
  const cBytes = wide ? 8 : 4;
  parallel('gemm', Mp, ROWS_PER_CHUNK, 0,
    [0, Np, K, aAt, lda, bAt, ldb, cAt, ldcK, +wide, wide ? KC : K],
    [0, 0, 0, 4 * lda, 0, 0, 0, cBytes * ldcK, 0, 0, 0]);
  if (wide) endWide(f64, c, Np, M, N, C, cOff, ldc);
  else if (cHeap < 0) copyRows(f32, c, Np, M, N, C, cOff, ldc);
  return true;
}

/** A float64 C at f64[c] (rows × ld): zeroed, and with C[M, N] in it when accumulating. */
function startWide(f64: Float64Array, c: number, rows: number, ld: number, M: number, N: number, C: Float32Array, cOff: number, ldc: number, accumulate: boolean): void {
  f64.fill(0, c, c + rows * ld);
  if (accumulate) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) f64[c + i * ld + j] = C[cOff + i * ldc + j];
}

/** C[M, N] = the float64 C at f64[c] (row stride ld), rounded to float32. */
function endWide(f64: Float64Array, c: number, ld: number, M: number, N: number, C: Float32Array, cOff: number, ldc: number): void {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) C[cOff + i * ldc + j] = f64[c + i * ld + j];
}

/**
 * Terms per lane and f32 block of the NT kernel: each of its 4 lanes sums KC of the kc = 4·KC
 * products, so a block is as exact as a KC block of the other kernel.
 */
export const NT_KC = 4 * KC;

/**
 * C (+)= A·Bᵀ with both operands read in place along their rows (no transpose of B: the linear
 * layer's weights): the gemmNT kernel, rows of C split over the threads. Operands outside the heap
 * (a private heap) are copied in, so the sums are the same everywhere. False (nothing done) unless
 * M % 4 = 0, N % 2 = 0 and K % 4 = 0.
 */
function matmulNT(
  M: number, N: number, K: number, A: Float32Array, aOff: number, lda: number, B: Float32Array, bOff: number, ldb: number,
  C: Float32Array, cOff: number, ldc: number, accumulate: boolean,
): boolean {
  if (M % 4 || N % 2 || K % 4 || K === 0 || !simdKernels()) return false;
  const inHeap = (X: Float32Array, off: number, ld: number, rows: number, slot: string) => {
    const at = heapOffset(X);
    if (at >= 0 && (off | ld) % 4 === 0) return { at: at + 4 * off, ld };
    const s = scratchAt(slot, rows * K * 4);
    if (s >= 0) copyRows(X, off, ld, rows, K, views()!.f32, s >> 2, K);
    return { at: s, ld: K };
  };
  const a = inHeap(A, aOff, lda, M, 'gemm.a'), b = inHeap(B, bOff, ldb, N, 'gemm.b');
  if (a.at < 0 || b.at < 0) return false;
  const wide = K > SHORT_K || accumulate;
  const cHeap = wide ? -1 : heapOffset(C);
  const cAt = cHeap >= 0 ? cHeap + 4 * cOff : scratchAt('gemm.c', M * N * (wide ? 8 : 4));
  if (cAt < 0) return false;
  const ldcK = cHeap >= 0 ? ldc : N, cBytes = wide ? 8 : 4;
  const { f64 } = views()!;
  const c = cAt >> (wide ? 3 : 2);
  if (wide) startWide(f64, c, M, N, M, N, C, cOff, ldc, accumulate);
  parallel('gemmNT', M, ROWS_PER_CHUNK, 0,
    [0, N, K, a.at, a.ld, b.at, b.ld, cAt, ldcK, +wide, wide ? NT_KC : K],
    [0, 0, 0, 4 * a.ld, 0, 0, 0, cBytes * ldcK, 0, 0, 0]);
  if (wide) endWide(f64, c, N, M, N, C, cOff, ldc);
  else if (cHeap < 0) copyRows(views()!.f32, c, N, M, N, C, cOff, ldc);
  return true;
}

/** dst[r·dld + c] = src[r·sld + c] for a rows×cols block. */
export function copyRows(
  src: Float32Array, sOff: number, sld: number, rows: number, cols: number,
  dst: Float32Array, dOff: number, dld: number,
): void {
  if (sld === cols && dld === cols) {
    dst.set(src.subarray(sOff, sOff + rows * cols), dOff);
  } else if (cols >= 64) {
    for (let r = 0; r < rows; r++) dst.set(src.subarray(sOff + r * sld, sOff + r * sld + cols), dOff + r * dld);
  } else {
    for (let r = 0; r < rows; r++) {
      const s = sOff + r * sld, d = dOff + r * dld;
      for (let c = 0; c < cols; c++) dst[d + c] = src[s + c];
    }
  }
}
