/**
 * Reads the PyTorch golden fixtures (test/fixtures/golden, made by scripts/torch/gen_golden.py) and
 * compares engine output to them with |a − b| ≤ tol·max(1, |b|). Every comparison's error is recorded
 * so each suite can print its worst case.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../../../src/engine/tensor';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'golden');
/** The bar: 1e-5 relative (absolute below magnitude 1); see the report for the errors measured. */
export const TOL = 1e-5;

interface Entry {
  dtype: 'f32' | 'i32';
  shape: number[];
  offset: number;
  count: number;
  /** Only flat elements 0, stride, 2·stride, ... are stored. */
  stride?: number;
}

interface RawCase {
  attrs: Record<string, any>;
  tensors: Record<string, Entry>;
  torch_f32_errs: Record<string, number>;
}

export class GoldenCase {
  constructor(readonly set: string, readonly name: string, private raw: RawCase, private blob: Buffer,
              private inputsFrom?: GoldenCase) {}

  get attrs(): Record<string, any> {
    return this.raw.attrs;
  }

  has(key: string): boolean {
    return key in this.raw.tensors || (this.inputsFrom?.has(key) ?? false);
  }

  keys(prefix = ''): string[] {
    return Object.keys(this.raw.tensors).filter((k) => k.startsWith(prefix));
  }

  private entry(key: string): [Entry, Buffer] {
    const e = this.raw.tensors[key];
    if (e) return [e, this.blob];
    if (this.inputsFrom) return this.inputsFrom.entry(key);
    throw new Error(`golden ${this.set}/${this.name} has no tensor "${key}"`);
  }

  private values(key: string): Float32Array | Int32Array {
    const [e, blob] = this.entry(key);
    const bytes = blob.subarray(e.offset, e.offset + 4 * e.count);
    const copy = new Uint8Array(bytes).buffer; // aligned copy
    return e.dtype === 'f32' ? new Float32Array(copy) : new Int32Array(copy);
  }

  /** A full float32 tensor (an input, or an expected value stored in full). */
  tensor(key: string): Tensor {
    const [e] = this.entry(key);
    if (e.dtype !== 'f32' || (e.stride ?? 1) !== 1) throw new Error(`golden ${this.name}/${key} is not a full f32 tensor`);
    return new Tensor(e.shape, this.values(key) as Float32Array);
  }

  ints(key: string): Int32Array {
    return this.values(key) as Int32Array;
  }

  /** Compares `actual` (all elements) to the expected tensor `key`; records and asserts the error. */
  check(key: string, actual: Tensor | ArrayLike<number>, opts: { tol?: number; label?: string; skip?: (i: number) => boolean } = {}): number {
    const [e] = this.entry(key);
    const label = `${this.set}/${this.name} ${opts.label ?? key}`;
    const data = actual instanceof Tensor ? actual.data : actual;
    if (actual instanceof Tensor) assert.deepEqual([...actual.shape], e.shape, `${label}: shape`);
    const total = e.shape.reduce((a, b) => a * b, 1);
    assert.equal(data.length, total, `${label}: element count`);
    const expected = this.values(key);
    const stride = e.stride ?? 1;
    const r = maxErr(data, expected, stride, opts.skip);
    const tol = opts.tol ?? TOL;
    record(this.set, label, r.err, tol);
    if (!(r.err <= tol)) {
      const torch = this.raw.torch_f32_errs[key];
      assert.fail(
        `${label}: error ${r.err.toExponential(2)} > ${tol} at flat index ${r.index}: ours ${data[r.index]}, PyTorch ${expected[r.index / stride]}` +
          (torch !== undefined ? ` (PyTorch's own float32 error here: ${torch.toExponential(2)})` : ''),
      );
    }
    return r.err;
  }
}

/** max over i of |a[i·stride] − b[i]| / max(1, |b[i]|) */
export function maxErr(a: ArrayLike<number>, b: ArrayLike<number>, stride = 1, skip?: (i: number) => boolean): { err: number; index: number } {
  let err = 0, index = 0;
  for (let i = 0; i < b.length; i++) {
    const j = i * stride;
    if (skip?.(j)) continue;
    const e = Math.abs(a[j] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(e <= err)) {
      err = e;
      index = j;
      if (Number.isNaN(e)) break;
    }
  }
  return { err, index };
}

export class GoldenSet {
  readonly cases: Record<string, RawCase>;
  private blob: Buffer;

  constructor(readonly name: string) {
    const manifest = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
    assert.equal(manifest.format, 'bnlab-golden-1');
    this.cases = manifest.cases;
    this.blob = readFileSync(join(FIXTURES, manifest.blob));
  }

  names(prefix = ''): string[] {
    return Object.keys(this.cases).filter((n) => n.startsWith(prefix));
  }

  get(name: string): GoldenCase {
    const raw = this.cases[name];
    if (!raw) throw new Error(`golden set ${this.name} has no case ${name}`);
    const from = raw.attrs.inputs_from && raw.attrs.inputs_from !== name ? this.get(raw.attrs.inputs_from) : undefined;
    return new GoldenCase(this.name, name, raw, this.blob, from);
  }
}

const worst = new Map<string, { err: number; label: string; count: number }>();
const loose: string[] = [];

function record(set: string, label: string, err: number, tol: number): void {
  if (process.env.GOLDEN_VERBOSE) console.log(`      ${label}: ${err.toExponential(2)}`);
  if (tol !== TOL) {
    loose.push(`${label} ${err.toExponential(2)} (tolerance ${tol})`);
    return;
  }
  const w = worst.get(set) ?? { err: -1, label: '', count: 0 };
  w.count++;
  if (err > w.err) Object.assign(w, { err, label });
  worst.set(set, w);
}

/** One line per fixture set: the worst error over its comparisons at TOL, then the looser ones. */
export function reportWorst(set: string): void {
  const w = worst.get(set);
  if (w) console.log(`    golden ${set}: ${w.count} comparisons at ${TOL}, max error ${w.err.toExponential(2)} (${w.label})`);
  for (const l of loose.filter((x) => x.startsWith(`${set}/`))) console.log(`    golden ${l}`);
}
