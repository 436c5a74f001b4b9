import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel } from '../../../src/engine/model';
import { FIXTURES } from './golden';

interface InitEntry { shape?: number[]; min?: number; max?: number; std?: number; bound?: number; values?: number[] }
const fixture = JSON.parse(readFileSync(join(FIXTURES, 'init.json'), 'utf8'));

describe('golden/default initialization vs PyTorch 1.13', () => {
  const model = buildModel(fixture.spec, { sampleShape: fixture.sample_shape, numClasses: 10, seed: 0 });
  const sd = model.stateDict();

  it('has the state_dict keys and shapes PyTorch has, in its order', () => {
    assert.deepEqual([...sd.keys()], Object.keys(fixture.params));
    for (const [k, e] of Object.entries(fixture.params as Record<string, InitEntry>)) {
      assert.deepEqual([...sd.get(k)!.tensor.shape], e.shape ?? [], k);
    }
  });

  for (const [key, e] of Object.entries(fixture.params as Record<string, InitEntry>)) {
    it(`${key}: ${e.bound ? `uniform in ±${e.bound.toPrecision(3)} like PyTorch` : 'same constants as PyTorch'}`, () => {
      const d = sd.get(key)!.tensor.data;
      if (e.values) return assert.deepEqual([...d], e.values);
      if (!e.bound) {
        assert.ok(d.every((v) => v === e.min && v === e.max), `${key} should be all ${e.min}`);
        return;
      }
      let max = 0, s2 = 0, s = 0;
      for (const v of d) {
        max = Math.max(max, Math.abs(v));
        s += v;
        s2 += v * v;
      }
      assert.ok(max <= e.bound * (1 + 1e-6), `${key}: |w| up to ${max}, PyTorch's bound is ${e.bound}`);
      if (d.length >= 100) {
        // U(-b, b): std b/√3; the sample std's relative spread is √(0.2/n); max|w| < (1−8/n)·b has probability e^−8
        const n = d.length, std = Math.sqrt(s2 / n - (s / n) ** 2), want = e.bound / Math.sqrt(3);
        assert.ok(max >= (1 - 8 / n) * e.bound, `${key}: |w| only reaches ${max} of the bound ${e.bound}`);
        assert.ok(Math.abs(std - want) < 5 * Math.sqrt(0.2 / n) * want, `${key}: std ${std}, U(±${e.bound}) has ${want} (PyTorch's draw: ${e.std})`);
      }
    });
  }
});
