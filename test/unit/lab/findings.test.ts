import { strict as assert } from 'node:assert';
import { defaultBn, defaultConfig } from '../../../src/lab/config';
import { findings } from '../../../src/lab/findings';
import type { RunOutput } from '../../../src/protocol/notebook-output';

const run = (label: string, loss: number, acc: number, modes?: { eval: number; train: number }): RunOutput => ({
  runId: label, label, status: 'completed', spec: 'seed', dataset: 'digits', backend: 'cpu', step: 80, totalSteps: 80, stepsPerSec: 5,
  trainLoss: { step: [1, 80], value: [2.3, loss] }, testAccuracy: { step: [80], value: [acc] }, bn: [], ...(modes ? { modes } : {}),
});

describe('cell findings (texts computed from what the runs measured)', () => {
  it('compares each run with the first, saying which is lower or higher with both numbers', () => {
    const c = defaultConfig();
    assert.deepEqual(findings([run('seed with BN', 0.15, 0.951), run('seed without BN', 0.156, 0.912)], [c, { ...c, bn: null }]), [
      'seed without BN vs seed with BN: higher final training loss (0.156 vs 0.150), lower test accuracy (0.912 vs 0.951).',
    ]);
  });

  it('explains why runs that differ only in BN momentum have the same loss curve, and gives eval vs train mode', () => {
    const c = defaultConfig();
    const configs = [0.1, 0.01, null].map((m) => ({ ...c, bn: { ...defaultBn(), momentum: m } }));
    const runs = [run('momentum 0.1', 0.2, 0.9, { eval: 0.95, train: 0.94 }), run('momentum 0.01', 0.2, 0.9, { eval: 0.62, train: 0.94 }), run('momentum none', 0.2, 0.9, { eval: 0.93, train: 0.94 })];
    const lines = findings(runs, configs);
    assert.match(lines[0], /differ only in BN momentum.*loss curves coincide, one line on top of the others \(final loss 0\.200 in every run\)/);
    assert.equal(lines[1], 'Test accuracy after training, BN in eval mode vs train mode: momentum 0.1 0.950 vs 0.940; momentum 0.01 0.620 vs 0.940; momentum none 0.930 vs 0.940.');
  });

  it('says the loss curves coincide only when they do, and gives the largest train − eval mode gap measured during each run', () => {
    const c = defaultConfig();
    const configs = [0.1, 0.01].map((m) => ({ ...c, bn: { ...defaultBn(), momentum: m } }));
    const curve = (ev: number[], train: number[]) => ({ samples: 500, eval: { step: [10, 20, 30], value: ev }, train: { step: [10, 20, 30], value: train } });
    const a = { ...run('momentum 0.1', 0.2, 0.9), modesCurve: curve([0.8, 0.9, 0.93], [0.82, 0.9, 0.94]) };
    const b = { ...run('momentum 0.01', 0.2, 0.9), modesCurve: curve([0.3, 0.5, 0.8], [0.82, 0.9, 0.94]) };
    const lines = findings([a, b], configs);
    assert.match(lines[0], /loss curves coincide/);
    assert.equal(lines[1], 'During the runs (first 500 test samples, every stats step), the largest gap of train mode over eval mode: momentum 0.1 +0.020 at step 10 (0.800 vs 0.820); momentum 0.01 +0.520 at step 10 (0.300 vs 0.820).');
    const apart = { ...b, trainLoss: { step: [1, 80], value: [2.31, 0.2] } };
    assert.match(findings([a, apart], configs)[0], /loss curves are not identical \(final losses 0\.200, 0\.200\)/);
  });

  it('gives each line of a batch-size sweep from its smallest to its largest batch, and the best at each end', () => {
    const c = defaultConfig();
    const at = (series: string, batch: number, acc: number): RunOutput => ({ ...run(`${series} · batch ${batch}`, 0.3, acc), totalSteps: 64 / batch, sweep: { series, batch } });
    const runs = [at('BN', 2, 0.41), at('BN', 32, 0.93), at('GroupNorm', 2, 0.85), at('GroupNorm', 32, 0.9)];
    assert.deepEqual(findings(runs, runs.map(() => c)), [
      'Test accuracy (eval mode, whole test split) at batch 2 → 32, each run on 64 training samples: BN 0.410 → 0.930; GroupNorm 0.850 → 0.900.',
      'Best at batch 2: GroupNorm (0.850); at batch 32: BN (0.930).',
    ]);
  });

  it('gives the range of the loss and of the gradient change along the gradient over each run, and the mean width of each band', () => {
    const c = defaultConfig();
    const s = (...value: number[]) => ({ step: value.map((_, i) => 50 * (i + 1)), value });
    const landscape = (lossMin: number[], lossMax: number[], gMin: number[], gMax: number[]) => ({
      samples: 32, stepSizes: [0.05, 0.4], loss: s(...lossMin), lossMin: s(...lossMin), lossMax: s(...lossMax), gradChangeMin: s(...gMin), gradChangeMax: s(...gMax),
    });
    const a = { ...run('with BN', 0.2, 0.95), landscape: landscape([0.5, 0.2], [0.7, 0.3], [0.1, 0.05], [0.3, 0.15]) };
    const b = { ...run('without BN', 0.3, 0.9), landscape: landscape([0.6, 0.4], [2.6, 1.4], [0.2, 0.1], [1.2, 2.1]) };
    assert.deepEqual(findings([a, b], [c, { ...c, bn: null }]).slice(1), [
      'Along the gradient g at each stats step (step sizes η 0.05, 0.4, on the first 32 training samples), the loss L(w − ηg) over the run: with BN 0.200–0.700 (mean width over η per step 0.150); without BN 0.400–2.600 (mean width over η per step 1.500).',
      'The gradient change ‖∇L(w − ηg) − ∇L(w)‖ over the run: with BN 0.050–0.300 (mean width over η per step 0.150); without BN 0.100–2.100 (mean width over η per step 1.500).',
    ]);
  });

  it('says nothing until every run of the cell completed', () => {
    const c = defaultConfig();
    assert.deepEqual(findings([run('a', 1, 0.5), { ...run('b', 1, 0.5), status: 'cancelled' }], [c, c]), []);
    assert.deepEqual(findings([run('a', 1, 0.5), run('b', 1, 0.5)], [c, c, c]), [], 'a run of the cell has not started yet');
  });
});
