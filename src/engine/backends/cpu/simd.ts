/**
 * The WebAssembly SIMD kernels (simd.wat, embedded as base64 in simd-wasm.ts) and their memory.
 * Kernels copy operands into the module's memory, run, and copy results out; every caller starts
 * at offset 0 (no call is re-entrant). Where WebAssembly SIMD is missing, simdHeap() is null and
 * callers use their plain-JS loops.
 *
 * The memory is never grown: growing detaches its old ArrayBuffer, and after any detach V8 guards
 * every typed-array access in the process (measured: plain JS loops ~1.6x slower). When more room
 * is needed, a larger memory is created and the module instantiated again on it.
 */
import { SIMD_WASM_BASE64 } from './simd-wasm';

export interface SimdKernels {
  /** wide=1: f64 C[M,N] += A[M,K]·B[K,N]; wide=0: f32 C = A·B. lda, ldb, ldc in elements. */
  gemm(M: number, N: number, K: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, wide: number): void;
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
}

/** The kernels bound to a memory of at least the requested size, and views of that memory. */
export interface SimdHeap {
  k: SimdKernels;
  f32: Float32Array;
  f64: Float64Array;
}

let module: WebAssembly.Module | null | undefined;
let heap: SimdHeap | null = null;

function compiled(): WebAssembly.Module | null {
  if (module === undefined) {
    try {
      module = new WebAssembly.Module(Uint8Array.from(atob(SIMD_WASM_BASE64), (ch) => ch.charCodeAt(0)));
    } catch {
      module = null; // no WebAssembly SIMD here (or blocked by a content security policy)
    }
  }
  return module;
}

/**
 * The kernels with at least `bytes` of memory, or null where WebAssembly SIMD is missing, disabled
 * (setSimdEnabled) or that much memory cannot be had: callers then use their plain-JS path.
 */
export function simdHeap(bytes: number): SimdHeap | null {
  const mod = compiled();
  if (!mod) return null;
  if (!heap || heap.f32.byteLength < bytes) {
    // Double the size at each step, so a run re-instantiates only a few times.
    const pages = Math.max(Math.ceil(bytes / 65536), heap ? (2 * heap.f32.byteLength) / 65536 : 16);
    try {
      const memory = new WebAssembly.Memory({ initial: Math.min(pages, 65536) });
      if (memory.buffer.byteLength < bytes) return null;
      const k = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as SimdKernels;
      heap = { k, f32: new Float32Array(memory.buffer), f64: new Float64Array(memory.buffer) };
    } catch {
      return null;
    }
  }
  return heap;
}

/** For tests and benchmarks: false forces the plain-JS paths; true re-enables SIMD where available. */
export function setSimdEnabled(enabled: boolean): boolean {
  module = enabled ? undefined : null;
  heap = null;
  return compiled() !== null;
}
