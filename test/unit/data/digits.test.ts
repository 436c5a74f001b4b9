import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, loadDataset } from '../../../src/data/load';
import { tempDir } from './helpers';

/** A digits.bin (format 1) with nTrain/nTest 2×2 images, labels i % 10. */
function digitsBin(nTrain: number, nTest: number, label = (i: number) => i % 10): Uint8Array {
  const n = nTrain + nTest;
  const b = new Uint8Array(16 + n * 5);
  b.set([0x42, 0x4e, 0x4c, 0x44, 1, 1, 2, 2]);
  new DataView(b.buffer).setUint32(8, nTrain, true);
  new DataView(b.buffer).setUint32(12, nTest, true);
  b.fill(7, 16, 16 + nTrain * 4);
  for (let i = 0; i < nTrain; i++) b[16 + nTrain * 4 + i] = label(i);
  for (let i = 0; i < nTest; i++) b[16 + nTrain * 5 + nTest * 4 + i] = label(i);
  return b;
}

describe('digits.bin reader', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const load = (bytes: Uint8Array | null) => {
    const file = join(dir, 'digits.bin');
    if (bytes) writeFileSync(file, bytes);
    return loadDataset('digits', { digitsPath: file, cache: false });
  };
  const fails = (bytes: Uint8Array | null, why: RegExp) =>
    assert.rejects(load(bytes), (e: unknown) => e instanceof DataError && why.test(e.message) && e.message.includes('digits.bin'));

  it('reads the splits as views in file order', async () => {
    const ds = await load(digitsBin(3, 2));
    assert.deepEqual(ds.sampleShape, [1, 2, 2]);
    assert.deepEqual([ds.train.count, ds.test.count], [3, 2]);
    assert.deepEqual(Array.from(ds.train.pixels), new Array(12).fill(7));
    assert.deepEqual(Array.from(ds.train.labels), [0, 1, 2]);
    assert.deepEqual(Array.from(ds.test.pixels), new Array(8).fill(0));
    assert.deepEqual(Array.from(ds.test.labels), [0, 1]);
  });
  it('reads a gzipped file (as the build writes it) the same', async () => {
    const ds = await load(gzipSync(digitsBin(3, 2)));
    assert.deepEqual(Array.from(ds.train.labels), [0, 1, 2]);
    assert.equal(ds.test.pixels.length, 8);
  });
  it('says to run npm run build when the file is missing', () => fails(null, /is missing: run `npm run build`/));
  it('rejects a bad magic number, a wrong size and a bad label', async () => {
    const b = digitsBin(3, 2);
    b[0] = 0;
    await fails(b, /bad magic number/);
    await fails(digitsBin(3, 2).subarray(0, 30), /size 30 bytes, expected 41/);
    await fails(digitsBin(3, 2, () => 12), /label 12 at index 0 is out of range 0\.\.9/);
  });
});
