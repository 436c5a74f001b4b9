import assert from 'node:assert/strict';
import { buildModel } from '../../../src/engine/model';
import type { BatchNorm } from '../../../src/engine/layers/batchnorm';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';

const build = (spec: string, sampleShape = [3, 2, 2]) => buildModel(spec, { sampleShape });

describe('Ghost BN and Batch Renorm in the spec language', () => {
  it('describes each option so that the text builds the same layer again', () => {
    for (const spec of ['bn(ghost=16)', 'bn(renorm)', 'bn(renorm,rmax=2,dmax=1,warmup=0)', 'bn(momentum=none,ghost=4)', 'bn(affine=false,renorm,warmup=10)']) {
      const text = build(spec).describe();
      assert.equal(text, spec);
      assert.equal(build(text).describe(), spec);
    }
    assert.deepEqual((build('bn(renorm)').layers[0] as BatchNorm).opts.renorm, { rmax: 3, dmax: 5, warmup: 5000 });
  });

  it('rejects options that do not fit together, naming the layer', () => {
    const cases: [string, RegExp][] = [
      ['bn(ghost=4,renorm)', /layer 1 "bn\(ghost=4,renorm\)": Ghost BN and batch renorm cannot be combined/],
      ['bn(renorm,track=false)', /batch renorm corrects towards the running statistics, so it needs track=true/],
      ['bn(rmax=2)', /rmax only apply to batch renorm; add renorm/],
      ['bn(renorm,rmax=0.5)', /rmax must be ≥ 1, got 0.5/],
      ['bn(renorm,dmax=-1)', /dmax must be ≥ 0, got -1/],
      ['bn(ghost=0)', /ghost must be an integer ≥ 1, got 0/],
      ['bn(ghost=2.5)', /ghost must be an integer ≥ 1, got 2.5/],
    ];
    for (const [spec, msg] of cases) assert.throws(() => build(spec), msg, spec);
  });

  it('Ghost BN refuses a batch that does not split into its virtual batches, with one line', () => {
    const m = build('conv(3,1) bn(ghost=4)');
    assert.throws(() => m.forward(new Tensor([10, 3, 2, 2])), /^UserError: layer 2 "bn\(ghost=4\)": a batch of 10 samples does not split into virtual batches of 4; use a batch size that is a multiple of 4$/);
    assert.doesNotThrow(() => m.forward(new Tensor([3, 3, 2, 2])), 'a batch within one virtual batch is plain BN');
  });

  it('in eval mode both are plain BN inference with the running statistics', () => {
    const x = Tensor.from([8, 3, 2, 2], Array.from({ length: 96 }, (_, i) => Math.sin(i)));
    const outs = ['bn', 'bn(ghost=2)', 'bn(renorm)'].map((spec) => {
      const bn = build(spec).layers[0] as BatchNorm;
      bn.runningMean!.data.set([0.1, -0.2, 0.3]);
      bn.runningVar!.data.set([0.5, 1.5, 2]);
      return Array.from(bn.forward(x, { training: false, rng: new Rng(0) }).data);
    });
    assert.deepEqual(outs[1], outs[0]);
    assert.deepEqual(outs[2], outs[0]);
  });
});
