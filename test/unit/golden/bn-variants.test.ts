import assert from 'node:assert/strict';
import { buildModel } from '../../../src/engine/model';
import type { BatchNorm } from '../../../src/engine/layers/batchnorm';
import { Rng } from '../../../src/engine/rng';
import { GoldenSet, reportWorst } from './golden';

/** References: scripts/torch/bn_variants.py, from Hoffer et al. 2017 (Ghost BN) and Ioffe 2017 (Batch Renorm). */
const set = new GoldenSet('bn_variants');

describe('golden/Ghost BN and Batch Renorm vs references from the papers (PyTorch)', () => {
  after(() => reportWorst('bn_variants'));

  for (const name of set.names().filter((n) => n.startsWith('ghost') || n.startsWith('renorm'))) {
    it(name, () => {
      const c = set.get(name);
      const a = c.attrs;
      const bn = buildModel(a.spec, { sampleShape: a.sample_shape }).layers[0] as BatchNorm;
      if (a.affine) {
        bn.weight!.value.data.set(c.tensor('gamma').data);
        bn.bias!.value.data.set(c.tensor('beta').data);
      }
      bn.runningMean!.data.set(c.tensor('running_mean.init').data);
      bn.runningVar!.data.set(c.tensor('running_var.init').data);
      const ctx = { training: a.training, rng: new Rng(0) };
      for (let s = 0; s < a.steps; s++) {
        c.check(`y.${s}`, bn.forward(c.tensor(`x.${s}`), ctx));
        c.check(`dx.${s}`, bn.backward(c.tensor(`dy.${s}`), true)!);
        if (a.affine) {
          c.check(`dgamma.${s}`, bn.weight!.grad);
          c.check(`dbeta.${s}`, bn.bias!.grad);
        }
        c.check(`running_mean.${s}`, bn.runningMean!);
        c.check(`running_var.${s}`, bn.runningVar!);
        if (c.has(`r.${s}`)) {
          c.check(`r.${s}`, bn.lastRenorm!.r);
          c.check(`d.${s}`, bn.lastRenorm!.d);
        }
        if (c.has(`ghost_mean.${s}`)) {
          c.check(`ghost_mean.${s}`, bn.lastGhostMean!);
          c.check(`ghost_var.${s}`, bn.lastGhostVar!);
        }
      }
      assert.equal(bn.numBatchesTracked!.data[0], a.num_batches_tracked);
    });
  }

  it('the renorm cases exercise r and d both clipped and within their limits', () => {
    const counts = set.names('renorm').flatMap((n) => (set.get(n).attrs.clipped ?? []) as [number, number][]);
    for (const k of [0, 1]) {
      assert.ok(counts.some((c) => c[k] > 0), `some step clips ${'rd'[k]}`);
      assert.ok(counts.some((c) => c[k] === 0), `some step leaves every ${'rd'[k]} unclipped`);
    }
  });
});
