import { strict as assert } from 'node:assert';
import type { TrainEvent } from '../../../src/engine/events';
import { RunOutputBuilder } from '../../../src/lab/run-output';
import { parseNotebookOutput } from '../../../src/protocol/notebook-output';

const hist = { min: 0, max: 1, counts: [1] };
const events: TrainEvent[] = [
  { type: 'start', runId: 'r', spec: 'seed', dataset: 'digits', backend: 'cpu', totalSteps: 500, stepsPerEpoch: 500, batchSize: 100, config: {} },
  ...Array.from({ length: 500 }, (_, i): TrainEvent => ({ type: 'step', step: i + 1, epoch: 0, loss: 2 - i / 500, accuracy: 0.5, lr: 1e-3, samplesPerSec: 250 })),
  { type: 'eval', step: 500, epoch: 0, split: 'test', loss: 1, accuracy: 0.95 },
  { type: 'eval', step: 500, epoch: 0, split: 'train', loss: 1, accuracy: 0.99 },
  {
    type: 'stats', step: 500, epoch: 0, gradNorms: [],
    bn: [{ layer: 1, channels: 2, batchMean: [1, 3], batchVar: [2, 4], runningMean: [0, 1], runningVar: [1, 1], gamma: [1, 2], beta: null, histBefore: hist, histAfter: hist }],
  },
  { type: 'done', reason: 'completed', step: 500, checkpoint: '/ck' },
];

describe('notebook run output', () => {
  it('folds events into a bounded, valid output with per-layer channel means', () => {
    const b = new RunOutputBuilder('r', 'with BN');
    for (const e of events) b.add(e);
    const out = b.output();
    assert.ok(parseNotebookOutput(JSON.parse(JSON.stringify({ version: 1, runs: [out] }))).ok);
    assert.ok(out.trainLoss.step.length <= 200 && out.trainLoss.step.at(-1) === 500);
    assert.deepEqual(out.testAccuracy, { step: [500], value: [0.95] }, 'train-split evals are not test accuracy');
    assert.deepEqual(out.bn, [{ layer: 1, channels: 2, batchMean: 2, batchVar: 3, runningMean: 0.5, runningVar: 1, gamma: 1.5, beta: null }]);
    assert.deepEqual([out.status, out.checkpoint, out.stepsPerSec, out.statsStep], ['completed', '/ck', 2.5, 500]);
  });

  it('folds landscape events into L(w) and the min and max over the step sizes of the loss and the gradient change, ≤ 200 points', () => {
    const b = new RunOutputBuilder('r', 'with BN');
    for (let step = 1; step <= 300; step++)
      b.add({ type: 'landscape', step, epoch: 0, samples: 32, loss: 2, gradNorm: 1, points: [{ eta: 0.1, loss: 1.5, gradChange: 0.5 }, { eta: 0.4, loss: 3 + step, gradChange: 0.25 }, { eta: 0.2, loss: 1.25, gradChange: 2 }] });
    const l = b.output().landscape!;
    assert.ok(parseNotebookOutput(JSON.parse(JSON.stringify({ version: 1, runs: [b.output()] }))).ok);
    assert.deepEqual([l.samples, l.stepSizes], [32, [0.1, 0.4, 0.2]]);
    for (const s of [l.loss, l.lossMin, l.lossMax, l.gradChangeMin, l.gradChangeMax]) assert.ok(s.step.length <= 200 && s.step.at(-1) === 300 && s.step.length === s.value.length);
    assert.deepEqual([l.loss, l.lossMin, l.gradChangeMin, l.gradChangeMax].map((s) => s.value.at(-1)), [2, 1.25, 0.25, 2]);
    assert.equal(l.lossMax.value.at(-1), 303);
  });

  it('summarizes a run in one line, with the BN eval vs train mode accuracies', () => {
    const b = new RunOutputBuilder('r', 'with BN');
    for (const e of events) b.add(e);
    b.setModes({ eval: 0.95, train: 0.9 });
    assert.equal(b.summary(), 'with BN: completed, step 500/500, loss 1.002, test accuracy 0.950, BN eval mode 0.950 vs train mode 0.900, 2.5 steps/s on cpu');
  });
});
