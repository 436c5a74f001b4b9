import { strict as assert } from 'node:assert';
import { generateSynthetic } from '../../../src/data/synthetic';
import { parseDataSource } from '../../../src/data/source';
import type { BatchNorm } from '../../../src/engine/layers/batchnorm';
import { train } from '../../../src/engine/trainer';
import { deepChecks } from '../../../src/lab/deep-checks';
import { parseLabCell } from '../../../src/lab/lab-language';
import { validateSettings } from '../../../src/lab/settings';
import { toTrainConfig } from '../../../src/lab/train-config';
import { whenBnFailsNotebook } from '../../../src/lab/when-bn-fails';

const messages = (text: string) => parseLabCell(text, deepChecks).diagnostics.map((d) => d.message);

describe('Ghost BN and Batch Renorm from lab cells and settings', () => {
  it('lab cells take bn: { ghost } and bn: { renorm, rmax, dmax, warmup }', () => {
    const ghost = parseLabCell('model: seed\nbatch: 64\nbn: { ghost: 16 }', deepChecks).cell;
    assert.equal(ghost?.kind === 'experiment' && ghost.runs[0].config.bn?.ghost, 16);
    const renorm = parseLabCell('model: seed\nbn: { renorm: true, rmax: 2, warmup: 100 }', deepChecks).cell;
    assert.deepEqual(renorm?.kind === 'experiment' && renorm.runs[0].config.bn?.renorm, { rmax: 2, dmax: 5, warmup: 100 });
    assert.deepEqual(messages('model: seed\nbn: { rmax: 2 }'), ['bn.rmax: rmax applies to batch renorm only; add renorm: true']);
    assert.deepEqual(messages('model: seed\nbn: { renorm: true, ghost: 4 }'), ['bn.renorm: Ghost BN and batch renorm cannot be combined; set one of ghost or renorm']);
    assert.deepEqual(messages('model: seed\nbatch: 100\nbn: { ghost: 16 }'), ['bn.ghost: a batch of 100 does not split into virtual batches of 16; use a batch size that is a multiple of it']);
    assert.deepEqual(messages('model: seed\nbn: { renorm: true, track_running_stats: false }'), ['bn.renorm: batch renorm corrects towards the running statistics, so it needs track_running_stats']);
  });

  it('settings batchNorm.ghost and batchNorm.renorm reach every bn layer of the trained model', async () => {
    const bad = validateSettings({ 'batchNorm.ghost': 16, batchSize: 100 });
    assert.deepEqual(!bad.ok && bad.errors.map((e) => e.message), ['Setting bnLab.batchNorm.ghost: a batch of 100 does not split into virtual batches of 16; use a batch size that is a multiple of it']);
    const both = validateSettings({ 'batchNorm.ghost': 10, 'batchNorm.renorm': true });
    assert.deepEqual(!both.ok && both.errors.map((e) => e.setting), ['bnLab.batchNorm.renorm']);
    assert.ok(validateSettings({ 'batchNorm.ghost': 0 }).ok && !('ghost' in ((validateSettings({ 'batchNorm.ghost': 0 }) as { config: { bn: object } }).config.bn)));
    const source = 'synthetic:shapes,n=100,test=20';
    const src = parseDataSource(source);
    if (src.kind !== 'synthetic') throw new Error('synthetic expected');
    const dataset = generateSynthetic(src, source);
    for (const [settings, expect] of [[{ 'batchNorm.ghost': 10 }, 'bn(ghost=10)'], [{ 'batchNorm.renorm': true }, 'bn(renorm)']] as const) {
      const r = validateSettings({ model: 'conv(4,3,stride=2) bn relu flatten linear(8) bn linear', dataset: source, batchSize: 50, ...settings });
      assert.ok(r.ok, JSON.stringify(r));
      const { model, done } = await train({ dataset, config: { ...toTrainConfig(r.config), steps: 2, epochs: undefined } });
      assert.equal(done.reason, 'completed', done.message);
      assert.deepEqual(model.layers.filter((l) => l.kind === 'bn').map((l) => (l as BatchNorm).describe()), [expect, expect]);
    }
  });

  it('the "When BN fails" notebook: batch 2 with BN, GroupNorm and Batch Renorm, recalibration of the BN run, the four at batch 2…32, then the landscape with and without BN', () => {
    const cells = whenBnFailsNotebook().cells.filter((c) => c.kind === 'lab').map((c) => parseLabCell(c.source, deepChecks));
    for (const c of cells) assert.deepEqual(c.diagnostics, []);
    const [runs, recal, sweep, why] = cells.map((c) => c.cell);
    assert.ok(runs?.kind === 'experiment' && recal?.kind === 'recalibrate' && sweep?.kind === 'experiment');
    const norm = (r: (typeof sweep.runs)[number]) => (/groupnorm/.test(r.config.model) ? 'gn' : r.config.bn?.ghost ? `ghost ${r.config.bn.ghost}` : r.config.bn?.renorm ? 'renorm' : 'bn');
    assert.deepEqual(sweep.runs.map((r) => `${r.sweep?.series}: ${norm(r)} batch ${r.config.batchSize} × ${r.config.steps}`), ['BN', 'Ghost BN', 'GroupNorm', 'Batch Renorm'].flatMap((s, i) =>
      [2, 4, 8, 16, 32].map((b) => `${s}: ${['bn', 'ghost 4', 'gn', 'renorm'][i]} batch ${b} × ${1920 / b}`),
    ));
    assert.deepEqual(runs.runs.map((r) => [r.label, r.config.batchSize, r.config.evalModes, /groupnorm/.test(r.config.model), !!r.config.bn?.renorm]), [
      ['batch 2 BN', 2, true, false, false], ['batch 2 GroupNorm', 2, true, true, false], ['batch 2 Batch Renorm', 2, true, false, true],
    ]);
    assert.equal(recal.recalibrate.run, 'batch 2 BN');
    assert.ok(why?.kind === 'experiment');
    assert.deepEqual(why.runs.map((r) => [r.label, !!r.config.bn, r.config.model, r.config.steps, r.config.statsInterval, r.config.landscape]), [
      ['seed with BN', true, 'seed', 400, 40, [0.05, 0.1, 0.2, 0.4]], ['seed without BN', false, 'seed', 400, 40, [0.05, 0.1, 0.2, 0.4]],
    ]);
  });
});
