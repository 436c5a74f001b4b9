import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, decodeSafetensors, encodeSafetensors, Rng, Tensor, UserError, type StateDict } from '../../../src/engine';
import { loadCheckpoint, modelFromCheckpoint, saveCheckpoint, writeFileAtomic } from '../../../src/engine/checkpoint';

/** A safetensors file assembled by hand, as the format spec describes it. */
function handMade(header: object, data: number[]): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return new Uint8Array(Buffer.concat([len, json, Buffer.from(data)]));
}

describe('safetensors', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnlab-ckpt-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes a hand-made file: F32 little-endian, I64 scalar, metadata', () => {
    const f32 = Buffer.alloc(8);
    f32.writeFloatLE(1.5, 0);
    f32.writeFloatLE(-2, 4);
    const i64 = Buffer.alloc(8);
    i64.writeBigInt64LE(42n);
    const bytes = handMade(
      { __metadata__: { format: 'pt' }, 'a.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, 'a.n': { dtype: 'I64', shape: [], data_offsets: [8, 16] } },
      [...f32, ...i64],
    );
    const { tensors, metadata } = decodeSafetensors(bytes);
    assert.deepEqual(metadata, { format: 'pt' });
    assert.deepEqual(Array.from(tensors.get('a.weight')!.tensor.data), [1.5, -2]);
    assert.deepEqual(tensors.get('a.n')!.tensor.shape, []);
    assert.equal(tensors.get('a.n')!.tensor.data[0], 42);
    assert.equal(tensors.get('a.n')!.dtype, 'int64');
  });

  it('encodes an 8-byte-aligned JSON header with F32/I64 entries and round-trips', () => {
    const sd: StateDict = new Map([
      ['0.weight', { tensor: Tensor.from([2, 3], [1, 2, 3, 4, 5, -6.25]), dtype: 'float32' }],
      ['1.num_batches_tracked', { tensor: Tensor.from([], [7]), dtype: 'int64' }],
    ]);
    const bytes = encodeSafetensors(sd, { spec: 'x' });
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    assert.equal((8 + n) % 8, 0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
    assert.deepEqual(header['0.weight'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    assert.deepEqual(header['1.num_batches_tracked'], { dtype: 'I64', shape: [], data_offsets: [24, 32] });
    assert.equal(Buffer.from(bytes).readBigInt64LE(8 + n + 24), 7n);
    const back = decodeSafetensors(bytes);
    assert.deepEqual(back.metadata, { spec: 'x' });
    assert.deepEqual(Array.from(back.tensors.get('0.weight')!.tensor.data), [1, 2, 3, 4, 5, -6.25]);
  });

  it('rejects truncated or foreign files with a message naming the file', () => {
    assert.throws(() => decodeSafetensors(new Uint8Array(4), 'x.safetensors'), (e: unknown) => e instanceof UserError && /^x\.safetensors: too short/.test(e.message));
    assert.throws(() => decodeSafetensors(handMade({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, [0, 0, 0, 0]), 'y'), /y: tensor a .*bad data offsets/);
    assert.throws(() => decodeSafetensors(handMade({ a: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, [0, 0]), 'z'), /unsupported dtype BF16/);
    assert.throws(() => decodeSafetensors(new Uint8Array(Buffer.from('{"not": "safetensors"}')), 'w'), /w: header length/);
  });

  it('saves a checkpoint dir and rebuilds a model with identical eval logits', async () => {
    const m = buildModel('conv(4,3,pad=1) bn relu maxpool(2) flatten linear(6) bn(momentum=none) relu linear', { sampleShape: [1, 8, 8], numClasses: 3, seed: 5 });
    const r = new Rng(9), x = new Tensor([5, 1, 8, 8]);
    for (let i = 0; i < x.size; i++) x.data[i] = r.next();
    m.forward(x); // moves the running stats off their defaults
    m.eval();
    const logits = m.forward(x).clone();
    const ck = join(dir, 'run');
    await saveCheckpoint(ck, m, { numClasses: 3, normalization: { scale: 1 / 255 }, training: { lr: 0.1 } });
    assert.deepEqual(readdirSync(ck).sort(), ['model.json', 'model.safetensors']);
    const meta = JSON.parse(readFileSync(join(ck, 'model.json'), 'utf8'));
    assert.equal(meta.spec, m.describe());
    assert.deepEqual(meta.sampleShape, [1, 8, 8]);
    assert.equal(meta.bnlabVersion, JSON.parse(readFileSync('package.json', 'utf8')).version);
    const back = await modelFromCheckpoint(ck);
    assert.deepEqual(back.model.forward(x).data, logits.data);
    assert.equal(back.model.stateDict().get('6.num_batches_tracked')!.tensor.data[0], 1);
    const bare = await loadCheckpoint(join(ck, 'model.safetensors'));
    assert.deepEqual([...bare.stateDict.keys()], [...m.stateDict().keys()]);
  });

  it('reports a missing checkpoint, a dir without weights and a .safetensors without model.json', async () => {
    await assert.rejects(loadCheckpoint(join(dir, 'nope')), /checkpoint ".*nope" does not exist/);
    mkdirSync(join(dir, 'empty'));
    await assert.rejects(loadCheckpoint(join(dir, 'empty')), /has no model\.safetensors/);
    mkdirSync(join(dir, 'bare'));
    writeFileSync(join(dir, 'bare', 'w.safetensors'), encodeSafetensors(new Map()));
    await assert.rejects(modelFromCheckpoint(join(dir, 'bare', 'w.safetensors')), /no model\.json beside it/);
  });

  it('rejects a model.json with a bad sampleShape, dataset or normalization, naming the file and the field', async () => {
    const m = buildModel('conv(2,3) flatten linear', { sampleShape: [1, 6, 6], numClasses: 3 });
    const ck = join(dir, 'tampered');
    await saveCheckpoint(ck, m, { numClasses: 3, normalization: { scale: 1 / 255 } });
    const meta = JSON.parse(readFileSync(join(ck, 'model.json'), 'utf8'));
    for (const [patch, re] of [
      [{ normalization: 'unit' }, /normalization "unit" is not \{scale > 0, mean and std: 1 numbers each/],
      [{ normalization: { scale: 1 / 255, mean: [0.1, 0.2], std: [0.3, 0.3] } }, /normalization .* is not/],
      [{ normalization: { scale: 1 / 255, mean: [0.1] } }, /normalization .* is not/],
      [{ sampleShape: [1, 'a', 6] }, /sampleShape \[1,"a",6\] is not a list of integers ≥ 1/],
      [{ dataset: 5 }, /dataset 5 is not a string/],
    ] as const) {
      writeFileSync(join(ck, 'model.json'), JSON.stringify({ ...meta, ...patch }));
      await assert.rejects(modelFromCheckpoint(ck), (e: unknown) => e instanceof UserError && /model\.json in ".*tampered": /.test(e.message) && re.test(e.message));
    }
  });

  it('writes atomically: a failed write leaves the old file and no temp file', async () => {
    const file = join(dir, 'atomic', 'f.txt');
    await writeFileAtomic(file, 'good');
    await writeFileAtomic(file, 'better');
    assert.equal(readFileSync(file, 'utf8'), 'better');
    const blocked = join(dir, 'atomic', 'blocked');
    mkdirSync(join(blocked, 'child'), { recursive: true }); // renaming a file over a non-empty dir fails
    await assert.rejects(writeFileAtomic(blocked, 'x'));
    assert.deepEqual(readdirSync(join(dir, 'atomic')).sort(), ['blocked', 'f.txt']);
  });
});
