import assert from 'node:assert/strict';
import { buildModel } from '../../../src/engine/model';
import type { BatchNorm } from '../../../src/engine/layers/batchnorm';
import { Rng } from '../../../src/engine/rng';
import { planRun } from '../../../src/engine/plan';
import { collectBnStats } from '../../../src/engine/stats';
import { DEFAULT_TRAIN_CONFIG } from '../../../src/engine/trainer';
import { trainEventSchema } from '../../../src/protocol/train-events';
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

  it('the stats stream carries Ghost BN per-virtual-batch statistics and batch renorm r and d per channel', async () => {
    const m = build('conv(2,1) bn(ghost=2) conv(2,1) bn(renorm,warmup=0,rmax=1.2)');
    const x = Tensor.from([4, 3, 2, 2], Array.from({ length: 48 }, (_, i) => Math.sin(i * 0.7) * (1 + (i % 5))));
    m.train().forward(x);
    const [ghost, renorm] = await collectBnStats(m);
    // Virtual batch k holds samples k and k + 2: check channel 0 of virtual batch 1 by hand.
    const conv = (m.layers[1] as BatchNorm).lastInput!.data;
    const v1 = [1, 3].flatMap((n) => [0, 1, 2, 3].map((p) => conv[n * 8 + p]));
    const mean = v1.reduce((a, b) => a + b) / 8;
    assert.ok(Math.abs(ghost.ghost!.mean[1][0] - mean) < 1e-6, `${ghost.ghost!.mean[1][0]} vs ${mean}`);
    assert.ok(Math.abs(ghost.ghost!.variance[1][0] - v1.reduce((a, b) => a + (b - mean) ** 2, 0) / 8) < 1e-5);
    assert.deepEqual([ghost.ghost!.mean.length, ghost.renorm], [2, undefined]);
    assert.equal(renorm.renorm!.r.length, 2);
    assert.ok(renorm.renorm!.r.every((r) => r >= 1 / 1.2 - 1e-7 && r <= 1.2 + 1e-7));
    const event = { type: 'stats', step: 1, epoch: 0, bn: [ghost, renorm], gradNorms: [] };
    assert.ok(trainEventSchema.safeParse(event).success, 'the protocol accepts both');
  });
});

describe('Ghost BN batch plans', () => {
  const dataset = (n: number) => ({
    source: `tiny-${n}`, sampleShape: [1, 2, 2], numClasses: 2,
    train: { count: n, pixels: new Float32Array(n * 4).fill(1), labels: new Uint8Array(n) },
    test: { count: 0, pixels: new Float32Array(0), labels: new Uint8Array(0) },
  });
  const plan = (n: number, batchSize: number, dropLast = false) =>
    planRun({ ...DEFAULT_TRAIN_CONFIG, spec: 'flatten linear(4) bn(ghost=8) linear(2)', batchSize, dropLast, epochs: 1 }, dataset(n));

  it('refuses, before training, a batch or a last batch that does not split into the virtual batches, with the cure', () => {
    assert.throws(() => plan(100, 20), /^UserError: batch 20 does not split into the virtual batches of 8 of layer 3 "bn\(ghost=8\)"; use a batch size that is a multiple of 8$/);
    assert.throws(() => plan(90, 16), /^UserError: batch 16 leaves a last batch of 10 samples \(90 = 5 × 16 \+ 10\), which does not split into the virtual batches of 8 of layer 3 "bn\(ghost=8\)"; use a batch size that is a multiple of 8, or drop-last/);
    assert.doesNotThrow(() => plan(90, 16, true));
    assert.doesNotThrow(() => plan(100, 16), 'a last batch of 4 is one virtual batch');
    assert.doesNotThrow(() => plan(100, 4), 'batches within one virtual batch are plain BN');
  });
});
