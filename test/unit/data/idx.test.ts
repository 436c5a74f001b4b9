import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, loadDataset } from '../../../src/data/load';
import { IDX_FILES, idx, imageSet, tempDir, writeMnistDir } from './helpers';

/** Asserts loading `source` rejects with a DataError whose message matches every pattern. */
async function rejects(source: string, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(loadDataset(source, { cache: false }), (e: unknown) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

describe('IDX loaders', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  for (const gz of [false, true]) {
    it(`loads mnist:DIR with ${gz ? 'gzipped' : 'raw'} files, pixels and labels in place`, async () => {
      writeMnistDir(dir, 12, 5, gz);
      const ds = await loadDataset(`mnist:${dir}`, { cache: false });
      assert.deepEqual(ds.sampleShape, [1, 4, 3]);
      assert.equal(ds.numClasses, 10);
      assert.equal(ds.train.count, 12);
      assert.equal(ds.test.count, 5);
      assert.equal(ds.train.pixels.length, 12 * 12);
      assert.equal(ds.train.pixels[2 * 12 + 5], 2 * 7 + 5);
      assert.equal(ds.test.pixels[4 * 12 + 11], 4 * 7 + 11);
      assert.deepEqual(Array.from(ds.train.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
      assert.deepEqual(Array.from(ds.test.labels), [0, 1, 2, 3, 4]);
    });
  }

  it('accepts the dotted spelling train-images.idx3-ubyte and names fashion-mnist classes', async () => {
    writeMnistDir(dir);
    for (const f of IDX_FILES) renameSync(join(dir, f), join(dir, f.replace(/-(idx\d)/, '.$1')));
    const ds = await loadDataset(`fashion-mnist:${dir}`, { cache: false });
    assert.equal(ds.train.count, 12);
    assert.equal(ds.classNames?.[9], 'Ankle boot');
  });

  it('loads an idx: train/test quadruple and an idx: pair with the last 10% held out', async () => {
    const tr = imageSet(20, 5, 5, 3);
    const te = imageSet(4, 5, 5, 3);
    const f = (n: string, b: Uint8Array) => (writeFileSync(join(dir, n), b), join(dir, n));
    const paths = [f('a', tr.images), f('b', tr.labels), f('c', te.images), f('d', te.labels)];
    const four = await loadDataset(`idx:${paths.join(',')}`, { cache: false });
    assert.equal(four.numClasses, 3);
    assert.deepEqual([four.train.count, four.test.count], [20, 4]);
    const two = await loadDataset(`idx:${paths[0]},${paths[1]},classes=5`, { cache: false });
    assert.equal(two.numClasses, 5);
    assert.deepEqual([two.train.count, two.test.count], [18, 2]);
    assert.deepEqual(Array.from(two.test.labels), [0, 1]);
    assert.equal(two.test.pixels[0], 18 * 7);
  });

  it('resolves relative paths against opts.cwd and caches per source', async () => {
    writeMnistDir(dir);
    const a = await loadDataset('mnist:.', { cwd: dir });
    const b = await loadDataset(`mnist:${dir}`);
    assert.equal(a.train.count, 12);
    assert.equal(a, b, 'decoded once per resolved source');
  });

  describe('broken files give one DataError naming the file and the fault', () => {
    const pair = (images: Uint8Array, labels: Uint8Array) => {
      writeFileSync(join(dir, 'img'), images);
      writeFileSync(join(dir, 'lbl'), labels);
      return `idx:${join(dir, 'img')},${join(dir, 'lbl')}`;
    };
    const good = imageSet(10);

    it('bad magic number', async () => {
      const b = good.images.slice();
      b[0] = 0x50;
      await rejects(pair(b, good.labels), /img: bad magic number 0x50000803/);
    });
    it('unsupported data type', async () => {
      await rejects(pair(idx([10, 4, 3], new Array(120).fill(0), 0x0d), good.labels), /img: unsupported IDX data type 0x0d \(float32\)/);
    });
    it('wrong rank', async () => {
      await rejects(pair(good.labels, good.labels), /img: wrong rank 1: expected 3/);
      await rejects(pair(good.images, good.images), /lbl: wrong rank 3: expected 1/);
    });
    it('zero dims', async () => {
      await rejects(pair(idx([10, 0, 3], []), good.labels), /img: empty dimension/);
    });
    it('truncated header and data', async () => {
      await rejects(pair(good.images.subarray(0, 9), good.labels), /img: truncated IDX header/);
      await rejects(pair(good.images.subarray(0, good.images.length - 1), good.labels), /img: truncated data: dims \[10, 4, 3\] need 120 bytes after the header, file has 119/);
    });
    it('trailing bytes', async () => {
      await rejects(pair(good.images, new Uint8Array([...good.labels, 0, 0])), /lbl: 2 unexpected trailing bytes/);
    });
    it('image and label counts differ', async () => {
      await rejects(pair(good.images, imageSet(9).labels), /img has 10 images but .*lbl has 9 labels/);
    });
    it('garbage label 255 (undeclared classes) and label ≥ declared classes', async () => {
      const labels = good.labels.slice();
      labels[8 + 3] = 255;
      await rejects(pair(good.images, labels), /lbl: label 255 at index 3 is out of range 0\.\.99/);
      await rejects(pair(good.images, good.labels) + ',classes=5', /lbl: label 5 at index 5 is out of range 0\.\.4/);
    });
    it('label out of range 0..9 in an mnist folder', async () => {
      writeMnistDir(dir);
      writeFileSync(join(dir, IDX_FILES[3]), idx([5], [0, 1, 2, 10, 4]));
      await rejects(`mnist:${dir}`, /t10k-labels-idx1-ubyte: label 10 at index 3 is out of range 0\.\.9/);
    });
    it('test images of other dims than train', async () => {
      writeMnistDir(dir);
      writeFileSync(join(dir, IDX_FILES[2]), idx([5, 4, 4], new Array(80).fill(1)));
      await rejects(`mnist:${dir}`, /t10k-images-idx3-ubyte: images are 4×4 but .*train-images-idx3-ubyte has 4×3/);
    });
    it('missing file in a folder, naming it and the expected set', async () => {
      writeMnistDir(dir);
      rmSync(join(dir, IDX_FILES[1]));
      await rejects(`mnist:${dir}`, /missing train-labels-idx1-ubyte\[\.gz\]/, /t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte \(raw or \.gz\)/);
    });
    it('missing folder and missing file', async () => {
      await rejects(`fashion-mnist:${join(dir, 'nope')}`, /nope: folder not found/);
      await rejects(`idx:${join(dir, 'x')},${join(dir, 'y')}`, /x: file not found/);
    });
    it('unreadable gzip', async () => {
      const gz = gzipSync(good.images);
      gz[gz.length - 6] ^= 0xff;
      await rejects(pair(gz, good.labels), /img: unreadable gzip data/);
      await rejects(pair(gz.subarray(0, 30), good.labels), /img: unreadable gzip data/);
    });
    it('too few images to hold out a test split', async () => {
      await rejects(pair(imageSet(9).images, imageSet(9).labels), /9 images are too few/);
    });
  });
});
