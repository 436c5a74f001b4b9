import assert from 'node:assert/strict';
import { batchNormTrain } from '../../../src/engine/ops';
import { buildModel } from '../../../src/engine/model';
import type { BatchNorm } from '../../../src/engine/layers/batchnorm';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';
import { GoldenSet, reportWorst, type GoldenCase } from './golden';

const set = new GoldenSet('bn');

/** The spec text for a case's nn.BatchNorm settings. */
function bnSpec(a: GoldenCase['attrs'], name: string): string {
  if (name.includes('keras')) return 'bn(keras)'; // Keras momentum 0.99, eps 1e-3 → PyTorch momentum 0.01
  const parts: string[] = [];
  if (a.momentum === null) parts.push('momentum=none');
  else if (a.momentum !== 0.1) parts.push(`momentum=${a.momentum}`);
  if (a.eps !== 1e-5) parts.push(`eps=${a.eps}`);
  if (!a.affine) parts.push('affine=false');
  if (!a.track_running_stats) parts.push('track=false');
  return parts.length ? `bn(${parts.join(',')})` : 'bn';
}

describe('golden/batch norm vs PyTorch 1.13', () => {
  after(() => reportWorst('bn'));

  for (const name of set.names()) {
    it(name, () => {
      const c = set.get(name);
      const a = c.attrs;
      const x0 = c.tensor('x.0');
      const model = buildModel(bnSpec(a, name), { sampleShape: x0.shape.slice(1) });
      const bn = model.layers[0] as BatchNorm;
      if (name.includes('keras')) assert.ok(Math.abs((bn.opts.momentum ?? 0) - 0.01) < 1e-12 && bn.opts.eps === 1e-3);
      if (a.affine) {
        bn.weight!.value.data.set(c.tensor('gamma').data);
        bn.bias!.value.data.set(c.tensor('beta').data);
      } else assert.equal(bn.params().length, 0, 'affine=False has no γ, β');
      if (a.track_running_stats) {
        bn.runningMean!.data.set(c.tensor('running_mean.init').data);
        bn.runningVar!.data.set(c.tensor('running_var.init').data);
      } else assert.equal(bn.buffers().length, 0, 'track_running_stats=False has no buffers');
      const ctx = { training: a.training, rng: new Rng(0) };
      for (let s = 0; s < a.steps; s++) {
        const y = bn.forward(c.tensor(`x.${s}`), ctx);
        c.check(`y.${s}`, y);
        const dx = bn.backward(c.tensor(`dy.${s}`), true);
        c.check(`dx.${s}`, dx!);
        if (a.affine) {
          c.check(`dgamma.${s}`, bn.weight!.grad);
          c.check(`dbeta.${s}`, bn.bias!.grad);
        }
        if (a.track_running_stats) {
          c.check(`running_mean.${s}`, bn.runningMean!);
          c.check(`running_var.${s}`, bn.runningVar!);
          assert.equal(bn.numBatchesTracked!.data[0], a.num_batches_tracked[s], `num_batches_tracked after step ${s}`);
        }
      }
    });
  }

  it('refuses one value per channel in training, like PyTorch', () => {
    const msg: string = set.get('bn2d_train').attrs.one_value_error;
    assert.match(msg, /Expected more than 1 value per channel when training/);
    assert.throws(() => batchNormTrain(new Tensor([1, 3]), null, null, 1e-5), /more than 1 value per channel when training, got input size \[1, 3\]/);
    const bn = buildModel('bn', { sampleShape: [3, 1, 1] }).layers[0];
    assert.throws(() => bn.forward(new Tensor([1, 3, 1, 1]), { training: true, rng: new Rng(0) }), /more than 1 value per channel/);
    // eval mode with running stats is fine with a single value
    assert.doesNotThrow(() => bn.forward(new Tensor([1, 3, 1, 1]), { training: false, rng: new Rng(0) }));
  });
});
