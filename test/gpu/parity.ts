/**
 * Parity of the WebGPU kernels against the CPU backend: each case runs the same ops on both
 * backends from the same host inputs and compares every output. Runs in Node (Dawn, node.test.ts)
 * and in headless chromium (browser-entry.ts), the same cases in both.
 */
import { readFloats, setBackend, upload } from '../../src/engine/backend';
import { Rng } from '../../src/engine/rng';
import { Tensor, type Shape } from '../../src/engine/tensor';

export interface ParityResult {
  name: string;
  /** Largest |gpu − cpu| over the outputs, relative to the outputs' scale (max(1, max |cpu|)). */
  worst: number;
  tolerance: number;
  ok: boolean;
  detail?: string;
}

export interface ParityCase {
  name: string;
  /** The kernel names it exercises (for the per-kernel worst error in reports). */
  kernels: string[];
  run: () => Promise<ParityResult>;
}

export const DEFAULT_TOLERANCE = 1e-4;

/** Random host tensor with values in [-scale, scale). */
export function random(shape: Shape, seed: number, scale = 1): Tensor {
  const rng = new Rng(seed);
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-scale, scale);
  return t;
}

export function ints(shape: Shape, values: ArrayLike<number>): Tensor {
  return new Tensor(shape, Int32Array.from(values), 'int32');
}

/** A device copy of a host tensor on the active backend (the host tensor itself on the CPU). */
function onActive(t: Tensor | null): Tensor | null {
  if (!t) return null;
  return upload(t.shape, t.dtype === 'int32' ? t.ints.slice() : t.data.slice());
}

/**
 * Runs `fn` on the CPU and on WebGPU with the same inputs and compares the tensors it returns
 * (named). `fn` gets its inputs on the active backend and may call ops any number of times.
 */
export function parity(
  name: string, kernels: string[], inputs: (Tensor | null)[], fn: (...xs: (Tensor | null)[]) => Record<string, Tensor>, tolerance = DEFAULT_TOLERANCE,
): ParityCase {
  return {
    name,
    kernels,
    run: async () => {
      try {
        setBackend('cpu');
        const want = fn(...inputs.map(onActive));
        const wantValues = Object.fromEntries(await Promise.all(Object.entries(want).map(async ([k, t]) => [k, await readFloats(t)] as const)));
        setBackend('webgpu');
        const got = fn(...inputs.map(onActive));
        const gotValues = await Promise.all(Object.entries(got).map(async ([k, t]) => [k, await readFloats(t)] as const));
        let worst = 0, where = '';
        for (const [k, g] of gotValues) {
          const w = wantValues[k];
          if (!w || w.length !== g.length) return { name, worst: Infinity, tolerance, ok: false, detail: `output ${k}: ${g.length} values on webgpu, ${w?.length} on cpu` };
          let scale = 1;
          for (const v of w) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
          for (let i = 0; i < w.length; i++) {
            const same = Number.isNaN(w[i]) ? Number.isNaN(g[i]) : w[i] === g[i] || Math.abs(w[i] - g[i]) / scale <= worst;
            if (same) continue;
            const err = Number.isNaN(w[i]) || Number.isNaN(g[i]) ? Infinity : Math.abs(w[i] - g[i]) / scale;
            if (err > worst) {
              worst = err;
              where = `${k}[${i}]: webgpu ${g[i]}, cpu ${w[i]}`;
            }
          }
        }
        return { name, worst, tolerance, ok: worst <= tolerance, detail: where || undefined };
      } catch (e) {
        return { name, worst: Infinity, tolerance, ok: false, detail: e instanceof Error ? e.message : String(e) };
      } finally {
        setBackend('cpu');
      }
    },
  };
}

/** How this runner reads test/fixtures/golden/<name>.json and its blob (fs in Node, fetch in the browser). */
export type FixtureLoader = (file: string) => Promise<Uint8Array>;
let fixtureLoader: FixtureLoader | null = null;
export function setFixtureLoader(f: FixtureLoader): void {
  fixtureLoader = f;
}

interface FixtureEntry {
  dtype: 'f32' | 'i32';
  shape: number[];
  offset: number;
  count: number;
  stride?: number;
}

/** One case of a PyTorch golden fixture set (made by scripts/torch/gen_golden.py). */
export class Fixture {
  constructor(readonly attrs: Record<string, unknown>, private tensors: Record<string, FixtureEntry>, private blob: Uint8Array) {}

  static async load(set: string, name: string): Promise<Fixture> {
    if (!fixtureLoader) throw new Error('no fixture loader set');
    const manifest = JSON.parse(new TextDecoder().decode(await fixtureLoader(`${set}.json`)));
    const c = manifest.cases[name];
    return new Fixture(c.attrs, c.tensors, await fixtureLoader(manifest.blob));
  }

  has(key: string): boolean {
    return key in this.tensors;
  }

  values(key: string): Float32Array | Int32Array {
    const e = this.tensors[key];
    if (!e) throw new Error(`fixture has no tensor ${key}`);
    const copy = this.blob.slice(e.offset, e.offset + 4 * e.count).buffer;
    return e.dtype === 'f32' ? new Float32Array(copy) : new Int32Array(copy);
  }

  tensor(key: string): Tensor {
    return new Tensor(this.tensors[key].shape, this.values(key));
  }

  /** max over elements of |ours − torch| / max(1, |torch|) (strided fixtures compare every stride-th value). */
  error(key: string, ours: ArrayLike<number>): number {
    const want = this.values(key), stride = this.tensors[key].stride ?? 1;
    let err = 0;
    for (let i = 0; i < want.length; i++) {
      const e = Math.abs(ours[i * stride] - want[i]) / Math.max(1, Math.abs(want[i]));
      if (!(e <= err)) err = Number.isNaN(e) ? Infinity : e;
    }
    return err;
  }
}
