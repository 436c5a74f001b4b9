/**
 * The WebAssembly SIMD kernels (simd.wat, embedded as base64 in simd-wasm.ts), bound to the CPU
 * backend's heap (heap.ts). Kernels take byte offsets into the heap: tensors that live there are
 * used in place, others are copied in and out (place / takeOut). Where WebAssembly SIMD is
 * missing (or disabled by setSimdEnabled), simdKernels() is null and callers use their plain-JS loops.
 */
import { getHeap, heapOffset, scratchAt, views } from './heap';
import { SIMD_WASM_BASE64, SIMD_WASM_SHARED_BASE64 } from './simd-wasm';

export interface SimdKernels {
  /**
   * wide=1: f64 C[M,N] += A[M,K]·B[K,N], f32 sums over blocks of kc terms; wide=0: f32 C = A·B
   * (K ≤ kc). M % 4 = 0, N % 8 = 0; lda, ldb, ldc in elements.
   */
  gemm(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, wide: number, kc: number): void;
  /** C (+)= A·Bᵀ with A [M, K] and B [N, K] (the same wide/kc rule as gemm); M % 4 = 0, N % 2 = 0, K % 4 = 0. */
  gemmNT(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, wide: number, kc: number): void;
  /** Per plane of S floats: f64 out[2p] = Σ x, out[2p+1] = Σ (x − plane mean)². */
  planeStats(x: number, S: number, planes: number, out: number): void;
  /** Per plane: f64 out[2p] = Σ dy, out[2p+1] = Σ dy·xhat. */
  planeGradSums(dy: number, xhat: number, S: number, planes: number, out: number): void;
  /** Per plane, k = f32 params[4·(p % C) ...]: mode 0: out = (a − k0)·k1, out2 = out·k2 + k3; mode 1: out = k0·(a − k1 − b·k2). */
  planeAffine(a: number, b: number, out: number, out2: number, S: number, planes: number, C: number, params: number, mode: number): void;
  /** y = x > 0 ? x : 0 (NaN kept), n floats. */
  relu(x: number, y: number, n: number): void;
  /** dx = y > 0 ? dy : 0, n floats. */
  reluGrad(dy: number, y: number, dx: number, n: number): void;
  /** One Adam update of n weights (see adam.ts). */
  adam(w: number, g: number, m: number, v: number, n: number, params: number, mode: number): void;
  /** dst[c·dld + r] = src[r·sld + c] for a rows×cols block (strides in elements). */
  transpose(src: number, sld: number, rows: number, cols: number, dst: number, dld: number): void;
  /** 2×2 max pooling, stride 2, of `planes` H×W planes: y and argmax (flat indices into x from `base`). */
  maxPool2x2(x: number, y: number, argmax: number, planes: number, H: number, W: number, base: number): void;
  /** Its gradient: dy at each window's argmax, 0 elsewhere in the window. */
  maxPool2x2Grad(dy: number, argmax: number, dx: number, planes: number, H: number, W: number, base: number): void;
  /** One image of a stride-1 conv forward: im2col into cols [K, Pp], then y [Mp, Pp] = w [Mp, K] · cols. */
  convForward(
    x: number, C: number, H: number, W: number, KH: number, KW: number, ph: number, pw: number,
    cols: number, Pp: number, K: number, w: number, Mp: number, y: number, ldc: number,
  ): void;
  /** im2col of one image, stride 1 and dilation 1 (see simd.wat). */
  im2col(
    x: number, C: number, H: number, W: number, KH: number, KW: number, ph: number, pw: number,
    cols: number, qStride: number, pStride: number, qCount: number, pCount: number, pad: number,
  ): void;
}

let module: WebAssembly.Module | null | undefined;
let bound: { k: SimdKernels; memory: WebAssembly.Memory } | null = null;

/** The compiled module (for the worker threads too), or null where WebAssembly SIMD is missing or disabled. */
export function simdModule(): WebAssembly.Module | null {
  if (module === undefined) {
    try {
      const base64 = getHeap()?.shared ? SIMD_WASM_SHARED_BASE64 : SIMD_WASM_BASE64;
      module = new WebAssembly.Module(Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)));
    } catch {
      module = null; // no WebAssembly SIMD here (or blocked by a content security policy)
    }
  }
  return module;
}

/** The kernels, instantiated on the heap's current memory; null where unavailable. */
export function simdKernels(): SimdKernels | null {
  const mod = simdModule(), heap = getHeap();
  if (!mod || !heap) return null;
  if (bound?.memory !== heap.memory) {
    const k = new WebAssembly.Instance(mod, { env: { memory: heap.memory } }).exports as unknown as SimdKernels;
    bound = { k, memory: heap.memory };
  }
  return bound.k;
}

/**
 * Byte offset of `a`'s values for a kernel: `a` itself where it lives in the heap, else scratch
 * block `slot` (holding a copy of `a` when `input`). −1 when the heap has no room.
 */
export function place(a: Float32Array | Int32Array, slot: string, input: boolean): number {
  const at = heapOffset(a);
  if (at >= 0) return at;
  const s = scratchAt(slot, a.byteLength);
  if (s >= 0 && input) bytesOf(views()!.f32, s, a.byteLength).set(bytesOf(a, a.byteOffset, a.byteLength));
  return s;
}

const bytesOf = (a: Float32Array | Int32Array, at: number, length: number) => new Uint8Array(a.buffer, at, length);

/** After a kernel wrote output `a` at `at` (from place()): copies it into `a` unless written in place. */
export function takeOut(a: Float32Array | Int32Array, at: number): void {
  if (heapOffset(a) !== at) bytesOf(a, a.byteOffset, a.byteLength).set(bytesOf(views()!.f32, at, a.byteLength));
}

/** For tests and benchmarks: false forces the plain-JS paths; true re-enables SIMD where available. */
export function setSimdEnabled(enabled: boolean): boolean {
  module = enabled ? undefined : null;
  bound = null;
  return simdModule() !== null;
}
