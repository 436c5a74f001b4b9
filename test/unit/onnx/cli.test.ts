import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { saveCheckpoint } from '../../../src/engine/checkpoint';
import { main } from '../../../src/cli/program';
import { onnxCheck, randomModel, tempDir, removeTempDirs } from './helpers';

/** Runs `bnlab ARGS` in process; returns the exit code and what it printed. */
async function bnlab(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const [w1, w2, log] = [process.stdout.write, process.stderr.write, console.log];
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  console.log = (...a: unknown[]) => void (out += a.join(' ') + '\n');
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    [process.stdout.write, process.stderr.write, console.log] = [w1, w2, log];
    process.exitCode = undefined;
  }
}

describe('bnlab export / validate (CLI)', () => {
  after(removeTempDirs);
  let ckpt: string;
  let dir: string;
  before(async () => {
    ckpt = tempDir('bnlab-onnxtest-ckpt-');
    dir = tempDir();
    const model = randomModel('conv(4,5,pad=2) bn relu maxpool(4) flatten linear(16) bn relu linear(10)', [1, 28, 28], 3);
    await saveCheckpoint(ckpt, model, { numClasses: 10, normalization: { scale: 1 / 255 }, dataset: 'synthetic:shapes,n=10,test=60' });
  });

  it('export prints the BN report and folded/unfolded side by side, writes the file, exits 0', async () => {
    const file = join(dir, 'model.onnx');
    const r = await bnlab('export', '--checkpoint', ckpt, '--out', file);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /layer 1 bn: folded into layer 0 conv\(4,5,pad=2\)/);
    assert.match(r.out, /layer 6 bn: folded into layer 5 linear\(16\)/);
    assert.match(r.out, /folded\s+unfolded/);
    assert.match(r.out, /BatchNormalization nodes\s+0\s+2/);
    assert.match(r.out, /top-1 agreement\s+100\.00%\s+100\.00%/);
    assert.match(r.out, /60 test samples of synthetic/);
    assert.ok(existsSync(file));
    onnxCheck([file]);
    const v = await bnlab('validate', file, '--checkpoint', ckpt, '--atol', '1e-5');
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, /60 samples: max \|diff\| .* top-1 agreement 100\.00% .*PASS/);
  });

  it('validate exits 4 past the tolerance; --json gives the numbers', async () => {
    const file = join(dir, 'model.onnx');
    const other = tempDir('bnlab-onnxtest-ckpt-');
    const model = randomModel('conv(4,5,pad=2) bn relu maxpool(4) flatten linear(16) bn relu linear(10)', [1, 28, 28], 4);
    await saveCheckpoint(other, model, { numClasses: 10, normalization: { scale: 1 / 255 }, dataset: 'synthetic:shapes,n=10,test=60' });
    const r = await bnlab('validate', file, '--checkpoint', other, '--json');
    assert.equal(r.code, 4);
    const j = JSON.parse(r.out);
    assert.equal(j.passed, false);
    assert.ok(j.maxAbsDiff > 1e-4);
  });

  it('bad input: one line on stderr, exit 2 (usage) or 3 (input), no .onnx written', async () => {
    const out = join(tempDir(), 'x.onnx');
    const cases: [string[], RegExp, number][] = [
      [['export', '--checkpoint', join(dir, 'missing'), '--out', out], /^bnlab: checkpoint ".*missing" does not exist\n$/, 3],
      [['export', '--checkpoint', ckpt, '--out', out, '--opset', '9'], /^bnlab: opset 9 is not supported: choose an integer from 13 to 17/, 3],
      [['export', '--checkpoint', ckpt, '--out', out, '--atol', 'x'], /^bnlab: option '--atol <x>' argument 'x' is invalid/, 2],
      [['validate', join(dir, 'nope.onnx'), '--checkpoint', ckpt], /^bnlab: ONNX file ".*nope\.onnx" does not exist\n$/, 3],
      [['export', '--checkpoint', ckpt, '--out', out, '--data', 'synthetic:spirals'], /^bnlab: data "synthetic:spirals" has samples \[2\] but the model expects \[1, 28, 28\]\n$/, 3],
    ];
    for (const [argv, pattern, code] of cases) {
      const r = await bnlab(...argv);
      assert.equal(r.code, code, argv.join(' '));
      assert.match(r.err, pattern);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    }
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(join(out, '..')), []);
  });
});
