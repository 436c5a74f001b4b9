import assert from 'node:assert/strict';
import type { Dataset, Split } from '../../../src/data/dataset';
import { loadDataset } from '../../../src/data/load';
import { train } from '../../../src/engine/trainer';

/**
 * Real-data accuracy against PyTorch 1.13 (issue 4, item 4), on a fixed subset so it fits CI:
 * the `seed` net, Adam 1e-3, batch 100, x/255, trained on the first 3,000 Fashion-MNIST training
 * images for 2 epochs (60 steps) and evaluated on the first 2,000 test images after each epoch.
 * PyTorch, same subset and recipe, seeds 0–29 (`/usr/bin/python3 scripts/torch/seed_ref.py --data
 * fashion --train 3000 --test 2000 --epochs 2 --seeds 0-29`): epoch 1 0.759–0.802 (median 0.78),
 * epoch 2 0.8105–0.8505 (median 0.838). BN Lab seeds 0–5 measured 0.747–0.791 and 0.800–0.8505;
 * seed 0 (used here) 0.791 / 0.8505, then 0.7905 / 0.851 after a kernel change. The lower bounds
 * sit ~0.03 under PyTorch's lowest seed so that float-rounding changes (another backend) do not
 * flip the test; the upper bound catches a test/train leak. The full-epoch figure is in README.
 */
const TRAIN = 3000;
const TEST = 2000;
const MIN_ACC = [0.73, 0.79];
const MAX_ACC = 0.9;

const head = (s: Split, n: number, size: number): Split => ({ count: n, pixels: s.pixels.subarray(0, n * size), labels: s.labels.subarray(0, n) });

describe('Fashion-MNIST accuracy against PyTorch (fixed subset)', function () {
  this.timeout(15 * 60_000);
  it(`seed net, Adam 1e-3, batch 100: test accuracy at PyTorch's level after epochs 1 and 2`, async () => {
    const full = await loadDataset('fashion-mnist:/usr/share/datasets/fashion-mnist');
    const dataset: Dataset = { ...full, train: head(full.train, TRAIN, 784), test: head(full.test, TEST, 784) };
    const acc: number[] = [];
    const { done } = await train({
      dataset,
      config: { spec: 'seed', epochs: 2, batchSize: 100, optimizer: 'adam', lr: 1e-3, seed: 0, shuffle: true, statsEvery: 0 },
      onEvent: (e) => {
        if (e.type === 'eval' && e.split === 'test') acc.push(e.accuracy);
      },
    });
    console.log(`      Fashion-MNIST subset test accuracy per epoch: ${acc.join(", ")}`);
    assert.equal(done.reason, 'completed', done.message);
    assert.equal(acc.length, 2, `test evaluations: ${acc}`);
    acc.forEach((a, i) => {
      assert.ok(a >= MIN_ACC[i] && a <= MAX_ACC, `epoch ${i + 1}: test accuracy ${a} outside [${MIN_ACC[i]}, ${MAX_ACC}]`);
    });
  });
});
