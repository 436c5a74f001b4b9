import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng';

describe('Rng', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    assert.deepEqual(Array.from({ length: 5 }, () => b.nextU32()), xs);
    assert.notDeepEqual(Array.from({ length: 5 }, () => c.nextU32()), xs);
  });
  it('draws uniforms in [0,1) with mean near 1/2', () => {
    const r = new Rng(1);
    let s = 0;
    for (let i = 0; i < 10000; i++) { const u = r.next(); assert.ok(u >= 0 && u < 1); s += u; }
    assert.ok(Math.abs(s / 10000 - 0.5) < 0.02);
  });
});
