import { strict as assert } from 'node:assert';
import { defaultBn, defaultConfig } from '../../../src/lab/config';
import { describeRun } from '../../../src/lab/run-name';

describe('run names', () => {
  it('name a run by what differs from the reference, in a fixed order', () => {
    const d = defaultConfig();
    assert.equal(describeRun(d), 'seed');
    assert.equal(describeRun({ ...d, batchSize: 64, bn: { ...defaultBn(), momentum: 0.01 } }), 'seed · bn momentum 0.01 · batch 64');
    assert.equal(describeRun({ ...d, bn: null, data: 'synthetic', lr: 0.01 }), 'seed · synthetic · no BN · lr 0.01');
    assert.equal(describeRun({ ...d, bn: { ...defaultBn('keras'), momentum: null }, steps: 40, epochs: null }), 'seed · keras BN · bn momentum none · 40 steps');
    assert.equal(describeRun({ ...d, seed: 0 }, { ...d, seed: 0 }), 'seed', 'the reference (default settings) decides what counts as different');
  });
});
