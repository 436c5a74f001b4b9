import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, loadDataset } from '../../../src/data/load';
import { tempDir } from './helpers';

const RECORD = 3073;
const TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);

/** `n` CIFAR records: label (first + r) % 10, pixel p of record r = (r * 3 + p + first) % 256. */
function batch(n: number, first: number): Uint8Array {
  const b = new Uint8Array(n * RECORD);
  for (let r = 0; r < n; r++) {
    b[r * RECORD] = (first + r) % 10;
    for (let p = 0; p < 3072; p++) b[r * RECORD + 1 + p] = (r * 3 + p + first) % 256;
  }
  return b;
}

function writeCifar(dir: string): void {
  mkdirSync(dir, { recursive: true });
  TRAIN.forEach((f, i) => writeFileSync(join(dir, f), batch(2 + i, i * 10)));
  writeFileSync(join(dir, 'test_batch.bin'), batch(3, 100));
}

describe('cifar10 loader', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('reads the five train batches in order and the test batch, as 3×32×32 planes', async () => {
    writeCifar(dir);
    const ds = await loadDataset(`cifar10:${dir}`, { cache: false });
    assert.deepEqual(ds.sampleShape, [3, 32, 32]);
    assert.equal(ds.classNames?.[0], 'airplane');
    assert.equal(ds.train.count, 2 + 3 + 4 + 5 + 6);
    assert.equal(ds.test.count, 3);
    assert.equal(ds.train.pixels.length, 20 * 3072);
    // Sample 3 is record 1 of data_batch_2 (first = 10): label 1+10 → 1, pixel p = (3 + p + 10) % 256.
    assert.equal(ds.train.labels[3], 1);
    assert.equal(ds.train.pixels[3 * 3072 + 0], 13);
    assert.equal(ds.train.pixels[3 * 3072 + 2048 + 5], (3 + 2048 + 5 + 10) % 256);
    assert.deepEqual(Array.from(ds.test.labels), [0, 1, 2]);
    assert.equal(ds.test.pixels[2 * 3072 + 1], (6 + 1 + 100) % 256);
  });

  it('finds the batches in a cifar-10-batches-bin subfolder', async () => {
    writeCifar(join(dir, 'cifar-10-batches-bin'));
    assert.equal((await loadDataset(`cifar10:${dir}`, { cache: false })).test.count, 3);
  });

  const fault = async (mutate: () => void, ...patterns: RegExp[]) => {
    writeCifar(dir);
    mutate();
    await assert.rejects(loadDataset(`cifar10:${dir}`, { cache: false }), (e: unknown) => {
      assert.ok(e instanceof DataError, String(e));
      for (const p of patterns) assert.match(e.message, p);
      return true;
    });
  };
  it('rejects a missing batch, naming it and the expected set', () =>
    fault(() => rmSync(join(dir, 'data_batch_3.bin')), /missing data_batch_3\.bin/, /data_batch_1\.bin, .*test_batch\.bin/));
  it('rejects a truncated batch', () =>
    fault(() => writeFileSync(join(dir, 'test_batch.bin'), batch(3, 0).subarray(0, 3 * RECORD - 1)), /test_batch\.bin: size 9218 bytes is not a positive multiple of the 3073-byte/));
  it('rejects an empty batch', () => fault(() => writeFileSync(join(dir, 'data_batch_1.bin'), new Uint8Array(0)), /data_batch_1\.bin: size 0/));
  it('rejects a label out of range', () =>
    fault(() => {
      const b = batch(4, 0);
      b[2 * RECORD] = 10;
      writeFileSync(join(dir, 'data_batch_4.bin'), b);
    }, /data_batch_4\.bin: label 10 in record 2 is out of range 0\.\.9/));
  it('rejects a folder that is a file', async () => {
    writeFileSync(join(dir, 'f'), 'x');
    await assert.rejects(loadDataset(`cifar10:${join(dir, 'f')}`, { cache: false }), /f: not a folder/);
  });
});
