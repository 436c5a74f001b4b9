import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveCheckpoint } from '../../../src/engine/checkpoint';
import { UserError } from '../../../src/engine/errors';
import { exportOnnx } from '../../../src/onnx/export';
import { validateOnnx } from '../../../src/onnx/validate';
import { onnxCheck, randomModel, tempDir, removeTempDirs } from './helpers';

const DATA = 'synthetic:shapes,n=10,test=130,seed=3';
const SPEC = 'conv(4,5,pad=2) bn relu maxpool(4) flatten linear(16) bn relu linear(10)';

async function checkpoint(spec = SPEC, seed = 1): Promise<string> {
  const dir = tempDir('bnlab-onnxtest-ckpt-');
  await saveCheckpoint(dir, randomModel(spec, [1, 28, 28], seed), { numClasses: 10, normalization: { scale: 1 / 255 }, dataset: DATA });
  return dir;
}

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

describe('onnx export/validate API (checkpoint → file)', () => {
  after(removeTempDirs);
  let ckpt: string;
  let out: string;
  before(async () => {
    ckpt = await checkpoint();
    out = join(tempDir(), 'model.onnx');
  });

  it('exportOnnx folds every BN, validates folded and unfolded, writes a file the checker accepts', async () => {
    const r = await exportOnnx({ checkpointDir: ckpt, outFile: out });
    assert.equal(r.written, true);
    assert.equal(r.passed, true);
    assert.equal(r.data, DATA);
    assert.deepEqual(r.folded.bns.map((b) => [b.index, b.into]), [[1, 0], [6, 5]]);
    assert.equal(r.folded.batchNormNodes, 0);
    assert.equal(r.unfolded.batchNormNodes, 2);
    for (const v of [r.folded, r.unfolded]) {
      assert.equal(v.validation!.samples, 130);
      assert.ok(v.validation!.maxAbsDiff <= 1e-5, `max |diff| ${v.validation!.maxAbsDiff}`);
      assert.equal(v.validation!.top1Agreement, 1);
    }
    assert.equal(readFileSync(out).length, r.folded.bytes);
    onnxCheck([out]);
  });

  it('validateOnnx passes for the exported file and fails for a file of another checkpoint', async () => {
    const ok = await validateOnnx({ onnxFile: out, checkpointDir: ckpt, samples: 50 });
    assert.equal(ok.passed, true);
    assert.equal(ok.samples, 50);
    assert.equal(ok.onnxSpec, SPEC);
    const other = await checkpoint(SPEC, 2);
    const bad = await validateOnnx({ onnxFile: out, checkpointDir: other });
    assert.equal(bad.passed, false);
    assert.ok(bad.maxAbsDiff > 1e-2 && bad.top1Agreement < 1);
    const rgb = tempDir('bnlab-onnxtest-ckpt-');
    await saveCheckpoint(rgb, randomModel('conv(4,5) flatten linear(10)', [3, 32, 32], 1), { numClasses: 10, normalization: { scale: 1 / 255 }, dataset: 'cifar10:/nowhere' });
    await rejects(validateOnnx({ onnxFile: out, checkpointDir: rgb }), /"[^"]*model\.onnx" takes samples \[1, 28, 28\], but checkpoint "[^"]*" expects \[3, 32, 32\]/);
  });

  it('--no-fold writes the unfolded model', async () => {
    const file = join(tempDir(), 'unfolded.onnx');
    const r = await exportOnnx({ checkpointDir: ckpt, outFile: file, fold: false, validate: false });
    assert.equal(r.fold, false);
    assert.equal(r.folded.validation, undefined);
    assert.equal(readFileSync(file).length, r.unfolded.bytes);
  });

  describe('bad input: one clear error, no partial .onnx', () => {
    /** Runs a failing export into a folder holding an older model.onnx; that file must stay as it was. */
    async function failsCleanly(opts: Partial<Parameters<typeof exportOnnx>[0]>, pattern: RegExp): Promise<void> {
      const dir = tempDir();
      const file = join(dir, 'model.onnx');
      writeFileSync(file, 'old');
      await rejects(exportOnnx({ checkpointDir: ckpt, outFile: file, ...opts }), pattern);
      assert.deepEqual(readdirSync(dir), ['model.onnx']);
      assert.equal(readFileSync(file, 'utf8'), 'old');
    }

    it('spec and weights disagree', async () => {
      const dir = await checkpoint();
      const metaFile = join(dir, 'model.json');
      const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
      writeFileSync(metaFile, JSON.stringify({ ...meta, spec: meta.spec.replace('conv(4,5', 'conv(6,5') }));
      await failsCleanly({ checkpointDir: dir }, /do not fit the model.*0\.weight/);
    });
    it('a missing checkpoint, a checkpoint without weights', async () => {
      await failsCleanly({ checkpointDir: join(tempDir(), 'nope') }, /does not exist/);
      await failsCleanly({ checkpointDir: tempDir() }, /has no model\.safetensors/);
    });
    it('a layer the opset cannot express, and an opset outside 13–17', async () => {
      const dir = await checkpoint('conv(4,5,pad=2) bn relu maxpool(4) flatten layernorm linear(10)');
      await failsCleanly({ checkpointDir: dir, opset: 13 }, /layer 5 \(layernorm\): LayerNormalization is unsupported for opset 13; it needs opset 17/);
      await failsCleanly({ opset: 18 }, /opset 18 is not supported: choose an integer from 13 to 17/);
      await failsCleanly({ opset: 12 }, /opset 12 is not supported/);
    });
    it('validation data that does not fit the model', async () => {
      await failsCleanly({ data: 'synthetic:blobs' }, /data "synthetic:blobs" has samples \[2\] but the model expects \[1, 28, 28\]/);
    });
    it('a model that fails validation is not written', async () => {
      const dir = tempDir();
      const file = join(dir, 'model.onnx');
      const r = await exportOnnx({ checkpointDir: ckpt, outFile: file, atol: 0, samples: 20 });
      assert.ok(r.folded.validation!.maxAbsDiff > 0, 'needs a nonzero difference to test the refusal');
      assert.equal(r.passed, false);
      assert.equal(r.written, false);
      assert.equal(existsSync(file), false);
    });
    it('validate: a missing file, a file that is not ONNX, a missing checkpoint', async () => {
      await rejects(validateOnnx({ onnxFile: join(tempDir(), 'missing.onnx'), checkpointDir: ckpt }), /ONNX file ".*missing\.onnx" does not exist/);
      const junk = join(tempDir(), 'junk.onnx');
      writeFileSync(junk, 'this is not protobuf at all');
      await rejects(validateOnnx({ onnxFile: junk, checkpointDir: ckpt }), /is not an ONNX model|onnxruntime cannot load/);
      await rejects(validateOnnx({ onnxFile: out, checkpointDir: join(tempDir(), 'nope') }), /does not exist/);
    });
  });
});
