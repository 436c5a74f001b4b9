/**
 * Issue 12, item 9: distinct exit codes (usage 2, input 3, validation 4, README "Exit codes"),
 * empty --data, numbers that round to 0, a data set recorded in model.json that is gone, onnxruntime's
 * messages whole, and message wording.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { onnx } from 'onnx-proto';
import { EXIT } from '../../../src/cli/common';
import { imageSet } from '../data/helpers';
import { bnlab, DATA, ensureBuilt, failsWith, removeTempDirs, root, SPEC, tempDir } from './helpers';

describe('faults: exit codes and messages', function () {
  this.timeout(120_000);
  let dir: string, ckpt: string;
  before(() => {
    ensureBuilt();
    dir = tempDir();
    ckpt = join(dir, 'ckpt');
    assert.equal(bnlab(['train', '--model', SPEC, '--data', DATA, '--steps', '1', '--batch', '20', '--out', ckpt]).code, 0);
  });
  after(removeTempDirs);

  it('exit codes: 0 for --help/--version, 2 for usage, 3 for bad input, 4 for a failed validation, 1 for a diverged run', () => {
    assert.equal(bnlab(['--version']).code, 0);
    assert.equal(bnlab(['train', '--help']).code, 0);
    failsWith(bnlab(['train', '--frobnicate']), 2, /unknown option '--frobnicate'/);
    failsWith(bnlab(['train', '--batch', 'x']), 2, /--batch/);
    failsWith(bnlab(['train', '--momentum', '0.9']), 2, /--momentum has no effect with --optimizer adam/);
    failsWith(bnlab(['train', '--epochs', '1', '--steps', '1']), 2, /cannot be used with/);
    failsWith(bnlab(['eval', '--checkpoint', join(dir, 'missing')]), 3, /does not exist/);
    failsWith(bnlab(['train', '--model', 'conv(4,3) foo']), 3, /unknown layer "foo"/);
    failsWith(bnlab(['train', '--data', 'fashion-mnist:/no/such/dir']), 3, /\/no\/such\/dir: folder not found/);
    const other = join(dir, 'other');
    assert.equal(bnlab(['train', '--model', SPEC, '--data', DATA, '--steps', '1', '--batch', '20', '--seed', '9', '--out', other]).code, 0);
    const onnx = join(dir, 'm.onnx');
    assert.equal(bnlab(['export', '--checkpoint', ckpt, '--out', onnx]).code, 0);
    const v = bnlab(['validate', onnx, '--checkpoint', other]);
    assert.equal(v.code, 4, v.stderr);
    assert.match(v.stdout, /FAIL/);
    const diverged = bnlab(['train', '--model', SPEC, '--data', DATA, '--optimizer', 'sgd', '--lr', '1e8', '--steps', '3', '--batch', '20', '--out', join(dir, 'div')]);
    assert.equal(diverged.code, 1);
    assert.match(diverged.stderr, /^bnlab: training diverged: /);
  });

  it('the README\'s "Exit codes" table lists exactly the codes bnlab exits with', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('\nExit codes:')).split('\n\n').slice(0, 2).join('\n');
    const documented = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    assert.deepEqual(documented, [...new Set(Object.values(EXIT))].sort((a, b) => a - b));
  });

  it("--data '' is a usage error for train, eval and export (it used to train on digits)", () => {
    failsWith(bnlab(['train', '--data', '', '--steps', '1']), 2, /--data <source>' argument '' is invalid\. expected a data source, got an empty string/);
    failsWith(bnlab(['eval', '--checkpoint', ckpt, '--data', '  ']), 2, /expected a data source/);
    failsWith(bnlab(['export', '--checkpoint', ckpt, '--out', join(dir, 'y.onnx'), '--data', '']), 2, /expected a data source/);
  });

  it('property: a positive number that rounds to 0 (--lr 1e-1000, --bn-eps, --weight-decay) is refused, 0 itself is not', () => {
    fc.assert(
      fc.property(fc.constantFrom('--lr', '--bn-eps', '--weight-decay'), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 330, max: 5000 }), (flag, digit, exp) => {
        failsWith(bnlab(['train', flag, `${digit}e-${exp}`, '--steps', '1']), 2, new RegExp(`${flag} <x>' argument '${digit}e-${exp}' is invalid\\. ${digit}e-${exp} is too small: it rounds to 0`));
      }),
      { numRuns: 6, seed: 9 },
    );
    const zero = bnlab(['train', '--model', SPEC, '--data', DATA, '--steps', '1', '--batch', '20', '--lr', '0', '--json', '--out', join(dir, 'lr0')]);
    assert.equal(zero.code, 0, zero.stderr);
  });

  it('a data set recorded in model.json that is gone: the message says it came from the checkpoint and that --data overrides it', () => {
    const { images, labels } = imageSet(40, 4, 3, 2);
    const [i, l] = [join(dir, 'i.idx'), join(dir, 'l.idx')];
    writeFileSync(i, images);
    writeFileSync(l, labels);
    const run = join(dir, 'idx-run');
    assert.equal(bnlab(['train', '--model', 'flatten linear', '--data', `idx:${i},${l}`, '--steps', '1', '--batch', '10', '--out', run]).code, 0);
    rmSync(i);
    failsWith(bnlab(['eval', '--checkpoint', run]), 3, new RegExp(`${i}: file not found \\(the data set "idx:.*" is recorded in checkpoint ".*idx-run"; pass --data to use another\\)$`));
    failsWith(bnlab(['export', '--checkpoint', run, '--out', join(dir, 'z.onnx')]), 3, /file not found \(the data set "idx:.*" is recorded in checkpoint ".*idx-run"; pass --data to use another\)$/);
  });

  it("onnxruntime's message arrives whole on one line (its first line ends at \"for the following indices\"): an ONNX made for batches of 1 validated on batches of 20", () => {
    const onnxFile = join(dir, 'batch1.onnx');
    assert.equal(bnlab(['export', '--checkpoint', ckpt, '--out', onnxFile, '--no-validate']).code, 0);
    const model = onnx.ModelProto.decode(readFileSync(onnxFile));
    model.graph!.input![0].type!.tensorType!.shape!.dim![0] = onnx.TensorShapeProto.Dimension.create({ dimValue: 1 });
    writeFileSync(onnxFile, onnx.ModelProto.encode(model).finish());
    failsWith(bnlab(['validate', onnxFile, '--checkpoint', ckpt]), 3, /onnxruntime failed on input \[20, 1, 28, 28\]: .*for the following indices index: 0 Got: 20 Expected: 1 Please fix/);
  });

  it('the export report does not blame --no-fold when it was not given', () => {
    const r = bnlab(['export', '--checkpoint', ckpt, '--out', join(dir, 'r.onnx'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /--no-fold/);
    assert.deepEqual([...new Set(JSON.parse(r.stdout).unfolded.bns.map((b: { reason: string }) => b.reason))], ['folding off']);
  });
});
