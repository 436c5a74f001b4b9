import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const bnlab = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8' });
const TRAIN = ['train', '--data', 'synthetic:shapes,n=60,test=20', '--model', 'conv(2,3,stride=2) bn relu flatten linear', '--steps', '2', '--batch', '20', '--json'];

describe('bnlab export → validate: the ONNX file knows its checkpoint', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnlab-link-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says so when an ONNX file is validated against another checkpoint of the same model', () => {
    for (const [name, seed] of [['a', '1'], ['b', '2']]) assert.equal(bnlab(...TRAIN, '--seed', seed, '--out', join(dir, name)).status, 0);
    const onnx = join(dir, 'a.onnx');
    const exported = bnlab('export', '--checkpoint', join(dir, 'a'), '--out', onnx);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stdout, /^wrote .*a\.onnx/m);
    const same = bnlab('validate', onnx, '--checkpoint', join(dir, 'a'));
    assert.equal(same.status, 0, same.stdout + same.stderr);
    assert.doesNotMatch(same.stdout, /model and checkpoint differ/);
    const other = bnlab('validate', onnx, '--checkpoint', join(dir, 'b'));
    assert.match(other.stdout, new RegExp(`note: .*a\\.onnx was exported from checkpoint ${join(dir, 'a').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, not .*b: model and checkpoint differ`));
  });
});
