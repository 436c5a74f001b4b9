/**
 * Finite-difference gradient checks. For an op y = f(inputs) we take the scalar
 * L = Σ y·r with a fixed random projection r (or the op's own scalar, for losses), perturb each
 * checked input element by ±h in float32 and compare the central difference with the analytic
 * gradient that backward(r) returns.
 */
import { Rng } from '../../../src/engine/rng';
import { Tensor, type Shape } from '../../../src/engine/tensor';

export interface GradCheckSpec {
  /** The tensors to differentiate with respect to, by name (forward reads them each time). */
  inputs: Record<string, Tensor>;
  /** Recomputes the op from the current input values. */
  forward: () => Tensor | number;
  /** Analytic gradients of L for each input name, given dy = r (null when forward is scalar). */
  backward: (r: Tensor | null) => Record<string, Tensor>;
  /** Step (default 1e-2). */
  h?: number;
  /** Elements checked per input, chosen at random when an input is larger (default 40). */
  samples?: number;
  /** Pass when |numeric − analytic| ≤ atol + rtol·|analytic| (defaults 1e-3, 5e-3). */
  atol?: number;
  rtol?: number;
  seed?: number;
}

/** Returns one line per mismatching element; empty when every checked gradient agrees. */
export function gradCheckFailures(spec: GradCheckSpec): string[] {
  const { inputs, forward, backward, h = 1e-2, samples = 40, atol = 1e-3, rtol = 5e-3, seed = 7 } = spec;
  const rng = new Rng(seed);
  const y0 = forward();
  const r = typeof y0 === 'number' ? null : randn(y0.shape, rng);
  const rData = r ? r.data.slice() : null;
  const loss = (): number => {
    const y = forward();
    if (typeof y === 'number') return y;
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i] * rData![i];
    return s;
  };
  const analytic = backward(r);
  // Copy: backward may hand out buffers that later forward/backward calls overwrite.
  const grads = Object.fromEntries(Object.entries(analytic).map(([k, g]) => [k, g.data.slice()]));
  const failures: string[] = [];
  for (const [name, t] of Object.entries(inputs)) {
    const g = grads[name];
    if (!g) throw new Error(`backward returned no gradient for ${name}`);
    if (g.length !== t.size) throw new Error(`gradient for ${name} has ${g.length} values, input has ${t.size}`);
    for (const i of pick(t.size, samples, rng)) {
      const v = t.data[i];
      t.data[i] = v + h;
      const up = t.data[i];
      const lp = loss();
      t.data[i] = v - h;
      const down = t.data[i];
      const lm = loss();
      t.data[i] = v;
      const numeric = (lp - lm) / (up - down);
      if (!(Math.abs(numeric - g[i]) <= atol + rtol * Math.abs(g[i]))) {
        failures.push(`d/d${name}[${i}]: analytic ${g[i]}, numeric ${numeric}`);
      }
    }
  }
  return failures;
}

/** Throws listing the mismatches (first 10). */
export function assertGradients(spec: GradCheckSpec): void {
  const failures = gradCheckFailures(spec);
  if (failures.length > 0) {
    throw new Error(`${failures.length} gradient mismatches:\n  ${failures.slice(0, 10).join('\n  ')}`);
  }
}

function pick(n: number, k: number, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (n <= k) return all;
  return rng.shuffle(all).slice(0, k);
}

export function randn(shape: Shape, rng: Rng, scale = 1): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * scale;
  return t;
}

/** Distinct values spaced ≥ `gap` apart (shuffled), so ±h never reorders them or crosses 0 (for max/relu). */
export function distinct(shape: Shape, rng: Rng, gap = 0.1): Tensor {
  const t = new Tensor(shape);
  const n = t.size;
  for (let i = 0; i < n; i++) t.data[i] = (i - Math.floor(n / 2) + 0.5) * gap;
  rng.shuffle(t.data);
  return t;
}

/** max |a − b| over all elements. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
