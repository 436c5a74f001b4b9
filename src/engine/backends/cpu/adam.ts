/**
 * The Adam / AdamW update on the SIMD kernel, split over the CPU threads: the same float64
 * arithmetic and float32 roundings as the plain loop in optim.ts, so both give identical weights.
 */
import { scratchAt, views } from './heap';
import { place, simdKernels, takeOut } from './simd';
import { parallel } from './threads';

export interface AdamCoefficients {
  beta1: number;
  beta2: number;
  eps: number;
  stepSize: number;
  bc2Sqrt: number;
  lr: number;
  weightDecay: number;
  decoupled: boolean;
}

/** Values per parallel chunk. */
const CHUNK = 1 << 15;

/** Updates w, m, v in place from g; false (nothing done) without the SIMD kernels. */
export function adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamCoefficients): boolean {
  if (w.length < 64 || !simdKernels()) return false;
  const at = [place(w, 'adam.w', true), place(g, 'adam.g', true), place(m, 'adam.m', true), place(v, 'adam.v', true)];
  const paramsAt = scratchAt('adam.params', 64);
  if (at.some((o) => o < 0) || paramsAt < 0) return false;
  views()!.f64.set([1 - c.beta1, c.beta2, 1 - c.beta2, c.bc2Sqrt, c.eps, c.stepSize, c.weightDecay, 1 - c.lr * c.weightDecay], paramsAt >> 3);
  const mode = c.weightDecay === 0 ? 0 : c.decoupled ? 2 : 1;
  parallel('adam', w.length, CHUNK, 4, [...at, 0, paramsAt, mode], [4, 4, 4, 4, 0, 0, 0]);
  takeOut(w, at[0]);
  takeOut(m, at[2]);
  takeOut(v, at[3]);
  return true;
}
