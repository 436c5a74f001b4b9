import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { modelFromCheckpoint } from '../../../src/engine/checkpoint';
import type { BatchNorm } from '../../../src/engine/layers/batchnorm';

const root = resolve(__dirname, '../../..');
function bnlab(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DATA = 'synthetic:shapes,n=200,test=40';

describe('bnlab recalibrate', function () {
  let dir: string, run: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bnlab-recal-'));
    run = join(dir, 'run');
    const r = bnlab('train', '--model', 'conv(4,3,stride=2) bn relu flatten linear(8) bn(momentum=0.9) linear', '--data', DATA, '--steps', '20', '--batch', '10', '--out', run);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a new checkpoint with recomputed statistics and reports eval accuracy before and after; the old one stays as it was', async () => {
    const weights = readFileSync(join(run, 'model.safetensors'));
    const r = bnlab('recalibrate', '--checkpoint', run, '--batches', '4', '--json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.checkpoint, `${run}-recalibrated`);
    assert.deepEqual([report.layers, report.batches, report.batchSize], [[1, 5], 4, 10]);
    for (const k of ['before', 'after']) assert.ok(report[k].accuracy >= 0 && report[k].count === 40, k);
    assert.deepEqual(readFileSync(join(run, 'model.safetensors')), weights, 'the old checkpoint is unchanged');
    const { model, meta } = await modelFromCheckpoint(report.checkpoint);
    assert.deepEqual(meta.recalibration, { from: run, batches: 4, batchSize: 10, seed: 0 });
    for (const i of [1, 5]) assert.equal((model.layers[i] as BatchNorm).numBatchesTracked!.data[0], 4, 'a cumulative average over the 4 batches');
    const text = bnlab('recalibrate', '--checkpoint', run, '--batches', '2', '--out', join(dir, 'b'));
    assert.match(text.stdout, /^recalibrated 2 BN layers over 2 training batches of 10\ntest accuracy \(eval mode\) before \d\.\d{4}, after \d\.\d{4} \(40 samples of synthetic/);
  });

  it('never replaces a checkpoint without --overwrite, and says what is wrong in one line', () => {
    for (const [args, re] of [
      [['--out', `${run}-recalibrated`], /--out ".*run-recalibrated" already holds a run \(model.safetensors\); pass --overwrite/],
      [['--out', run], /--out is the checkpoint ".*run" itself; choose another folder or pass --overwrite/],
      [['--checkpoint', join(dir, 'none')], /checkpoint ".*none" does not exist/],
      [['--batches', '0'], /--batches.*'0' is invalid/],
    ] as [string[], RegExp][]) {
      const r = bnlab('recalibrate', '--checkpoint', run, '--batches', '1', ...args);
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, re);
    }
  });
});
