import { strict as assert } from 'node:assert';
import { deepChecks } from '../../../src/lab/deep-checks';
import { validateSettings } from '../../../src/lab/settings';
import { validateConfig } from '../../../src/engine/trainer';
import { defaultConfig } from '../../../src/lab/config';
import { toTrainConfig } from '../../../src/lab/train-config';

describe('bnLab.* settings', () => {
  it('maps valid settings onto a config', () => {
    const r = validateSettings({ model: 'seed', dataset: 'synthetic', epochs: 2, batchSize: 50, optimizer: 'sgd', learningRate: 0.1, 'batchNorm.momentum': null, 'batchNorm.epsilon': 1e-3, 'batchNorm.affine': false, 'batchNorm.trackRunningStats': false, backend: 'cpu', statsInterval: 5, seed: 3 }, deepChecks);
    assert.ok(r.ok);
    const c = r.config;
    assert.deepEqual([c.model, c.data, c.epochs, c.batchSize, c.optimizer, c.lr, c.backend, c.statsInterval, c.seed], ['seed', 'synthetic', 2, 50, 'sgd', 0.1, 'cpu', 5, 3]);
    assert.deepEqual(c.bn, { momentum: null, eps: 1e-3, affine: false, trackRunningStats: false, convention: 'pytorch' });
  });

  it('uses the convention defaults unless momentum/eps are given', () => {
    const k = validateSettings({ convention: 'keras' });
    assert.ok(k.ok);
    assert.deepEqual([k.config.bn?.momentum, k.config.bn?.eps], [0.99, 1e-3]);
    const m = validateSettings({ convention: 'keras', 'batchNorm.momentum': 0.9 });
    assert.ok(m.ok);
    assert.equal(m.config.bn?.momentum, 0.9);
  });

  it('names every bad setting and starts nothing', () => {
    const r = validateSettings({ epochs: 0, batchSize: 'big', learningRate: 0, 'batchNorm.momentum': 2, 'batchNorm.epsilon': -1, 'batchNorm.affine': 'yes', convention: 'tf', backend: 'tpu', statsInterval: 1.5, optimizer: 'lbfgs' });
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map((e) => e.setting), [
      'bnLab.convention', 'bnLab.epochs', 'bnLab.batchSize', 'bnLab.optimizer', 'bnLab.learningRate', 'bnLab.batchNorm.momentum', 'bnLab.batchNorm.epsilon', 'bnLab.batchNorm.affine', 'bnLab.backend', 'bnLab.statsInterval',
    ]);
    assert.equal(r.errors[5].message, 'Setting bnLab.batchNorm.momentum: 2 is out of range (0…1)');
    assert.equal(r.errors[4].message, 'Setting bnLab.learningRate: 0 is out of range (above 0…10)');
  });

  it('bnLab.cpuThreads: a whole number of threads, 0 for every core', () => {
    const r = validateSettings({ cpuThreads: 2 });
    assert.ok(r.ok);
    assert.equal(r.config.cpuThreads, 2);
    const bad = validateSettings({ cpuThreads: 1.5 });
    assert.ok(!bad.ok);
    assert.equal(bad.errors[0].setting, 'bnLab.cpuThreads');
  });

  it('accepts "none" for momentum but not with the keras convention', () => {
    assert.ok(validateSettings({ 'batchNorm.momentum': 'none' }).ok);
    const r = validateSettings({ 'batchNorm.momentum': 'none', convention: 'keras' });
    assert.ok(!r.ok);
    assert.equal(r.errors[0].setting, 'bnLab.batchNorm.momentum');
  });

  it('still reads the keys used before the rename (bnLab.bnEps, …) while the new key is not set, and names them in errors', () => {
    const r = validateSettings({ convention: 'keras', bnMomentum: 0.9, bnEps: 0.002, bnAffine: false, bnTrackRunningStats: false });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.config.bn, { momentum: 0.9, eps: 0.002, affine: false, trackRunningStats: false, convention: 'keras' });
    const both = validateSettings({ bnEps: 0.002, 'batchNorm.epsilon': 0.003 });
    assert.ok(both.ok);
    assert.equal(both.config.bn?.eps, 0.003, 'the new key wins');
    const bad = validateSettings({ bnMomentum: 2 });
    assert.ok(!bad.ok);
    assert.equal(bad.errors[0].message, 'Setting bnLab.bnMomentum: 2 is out of range (0…1)');
    const none = validateSettings({ bnMomentum: 'none', convention: 'keras' });
    assert.ok(!none.ok);
    assert.equal(none.errors[0].setting, 'bnLab.bnMomentum');
  });

  it('runs the deep checks on model and dataset', () => {
    const r = validateSettings({ model: 'conv(8,3) bogus', dataset: 'cifar10:' }, deepChecks);
    assert.ok(!r.ok);
    assert.deepEqual(r.errors.map((e) => e.setting), ['bnLab.model', 'bnLab.dataset']);
    assert.match(r.errors[0].message, /unknown layer "bogus"/);
  });

  it('rejects an unknown key', () => {
    const r = validateSettings({ momentum: 0.5 } as never);
    assert.ok(!r.ok);
    assert.equal(r.errors[0].setting, 'bnLab.momentum');
  });
});

describe('ExperimentConfig → engine TrainConfig', () => {
  it('maps PyTorch BN settings, epochs, and the optimizer; the engine accepts it', () => {
    const t = toTrainConfig({ ...defaultConfig(), bn: { momentum: null, eps: 1e-3, affine: false, trackRunningStats: false, convention: 'pytorch' } });
    assert.deepEqual(t.bn, { momentum: null, eps: 1e-3, affine: false, track: false });
    assert.deepEqual([t.spec, t.epochs, t.steps, t.batchSize, t.optimizer, t.lr, t.noBn, t.statsEvery], ['seed', 1, undefined, 100, 'adam', 0.001, false, 10]);
    validateConfig(t);
  });
  it('maps the Keras convention to PyTorch momentum 1−m and keeps m; no BN to noBn; steps over epochs', () => {
    const k = toTrainConfig({ ...defaultConfig(), steps: 5, epochs: null, bn: { momentum: 0.99, eps: 1e-3, affine: true, trackRunningStats: true, convention: 'keras' } });
    assert.ok(Math.abs((k.bn!.momentum as number) - 0.01) < 1e-12);
    assert.equal(k.bn!.kerasMomentum, 0.99);
    assert.deepEqual([k.steps, k.epochs], [5, undefined]);
    assert.equal(toTrainConfig({ ...defaultConfig(), bn: null }).noBn, true);
  });
});
