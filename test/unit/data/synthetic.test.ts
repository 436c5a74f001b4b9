import assert from 'node:assert/strict';
import { loadDataset } from '../../../src/data/load';

describe('synthetic data sets', () => {
  it('default: 1×28×28 uint8 shapes, 10 classes, 2000/500, deterministic, varied', async () => {
    const a = await loadDataset('synthetic', { cache: false });
    const b = await loadDataset('synthetic', { cache: false });
    assert.deepEqual(a.sampleShape, [1, 28, 28]);
    assert.equal(a.numClasses, 10);
    assert.deepEqual([a.train.count, a.test.count], [2000, 500]);
    assert.ok(a.train.pixels instanceof Uint8Array);
    assert.equal(a.train.pixels.length, 2000 * 784);
    assert.deepEqual(a.train.pixels, b.train.pixels);
    assert.deepEqual(a.test.labels, b.test.labels);
    const counts = new Array(10).fill(0);
    a.train.labels.forEach((l) => counts[l]++);
    assert.ok(Math.min(...counts) > 150 && Math.max(...counts) < 250, `class counts ${counts}`);
    const c = await loadDataset('synthetic,seed=2', { cache: false });
    assert.notDeepEqual(c.train.labels, a.train.labels);
  });

  it('shapes of one class are closer to their class mean than to other class means (learnable)', async () => {
    const ds = await loadDataset('synthetic:shapes,n=1000,test=200', { cache: false });
    const means = Array.from({ length: 10 }, () => new Float64Array(784));
    const counts = new Array(10).fill(0);
    for (let i = 0; i < ds.train.count; i++) {
      const l = ds.train.labels[i];
      counts[l]++;
      for (let p = 0; p < 784; p++) means[l][p] += ds.train.pixels[i * 784 + p];
    }
    means.forEach((m, c) => m.forEach((_, p) => (m[p] /= counts[c])));
    let correct = 0;
    for (let i = 0; i < ds.test.count; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let c = 0; c < 10; c++) {
        let d = 0;
        for (let p = 0; p < 784; p++) d += (ds.test.pixels[i * 784 + p] - means[c][p]) ** 2;
        if (d < bestD) [bestD, best] = [d, c];
      }
      if (best === ds.test.labels[i]) correct++;
    }
    assert.ok(correct / ds.test.count > 0.3, `nearest-mean accuracy ${correct / ds.test.count}`);
  });

  it('blobs and spirals are float feature sets on the 0..255 scale', async () => {
    const blobs = await loadDataset('synthetic:blobs,n=300,test=30,classes=4,dim=3', { cache: false });
    assert.deepEqual(blobs.sampleShape, [3]);
    assert.equal(blobs.numClasses, 4);
    assert.ok(blobs.train.pixels instanceof Float32Array);
    assert.equal(blobs.train.pixels.length, 900);
    const spirals = await loadDataset('synthetic:spirals', { cache: false });
    assert.deepEqual(spirals.sampleShape, [2]);
    assert.equal(spirals.train.count, 1500);
    const maxAbs = Array.from(spirals.train.pixels).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(maxAbs > 200 && maxAbs <= 255, `max |x| ${maxAbs}`);
    assert.ok(Array.from(spirals.train.labels).every((l) => l < 3));
  });
});
