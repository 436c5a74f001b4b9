import assert from 'node:assert/strict';
import { buildModel } from '../../../src/engine/model';
import type { BatchNorm } from '../../../src/engine/layers/batchnorm';
import { recalibrateBn } from '../../../src/engine/recalibrate';
import { GoldenSet, reportWorst } from '../golden/golden';

/** Reference: torch.optim.swa_utils.update_bn on the same net and batches (scripts/torch/bn_variants.py). */
const set = new GoldenSet('bn_variants');

describe('BN recalibration vs torch.optim.swa_utils.update_bn', () => {
  after(() => reportWorst('bn_variants'));

  it('recomputes the running statistics of every BN layer over the batches (cumulative average), then restores momentum and mode', () => {
    const c = set.get('update_bn_net');
    const a = c.attrs;
    const model = buildModel(a.spec, { sampleShape: a.sample_shape }).eval();
    for (const [k, e] of model.stateDict()) {
      if (c.has(`init.${k}`)) e.tensor.data.set(c.tensor(`init.${k}`).data);
      else e.tensor.data[0] = a.init_num_batches_tracked;
    }
    const weightsBefore = model.params().map((p) => Array.from(p.param.value.data));
    const batches = Array.from({ length: a.batches }, (_, i) => c.tensor(`batch.${i}`));
    const layers = recalibrateBn(model, batches);
    assert.deepEqual(layers.map((l) => model.layers.indexOf(l)), a.bn_layers);
    for (const i of a.bn_layers as number[]) {
      const bn = model.layers[i] as BatchNorm;
      c.check(`after.${i}.running_mean`, bn.runningMean!);
      c.check(`after.${i}.running_var`, bn.runningVar!);
      assert.equal(bn.numBatchesTracked!.data[0], a.num_batches_tracked);
    }
    assert.deepEqual(a.bn_layers.map((i: number) => (model.layers[i] as BatchNorm).opts.momentum), a.momenta);
    assert.equal(model.training, false);
    assert.deepEqual(model.params().map((p) => Array.from(p.param.value.data)), weightsBefore, 'weights unchanged');
  });

  it('leaves frozen BN layers and layers without running statistics alone', () => {
    const model = buildModel('bn(frozen) bn(track=false) bn', { sampleShape: [2] });
    const frozen = model.layers[0] as BatchNorm;
    frozen.runningMean!.data.set([0.5, -0.5]);
    const layers = recalibrateBn(model, []);
    assert.deepEqual(layers, [model.layers[2]]);
    assert.deepEqual(Array.from(frozen.runningMean!.data), [0.5, -0.5]);
  });
});
