import assert from 'node:assert/strict';
import { buildModel, channelMoments, histogram, Tensor } from '../../../src/engine';
import { collectBnStats } from '../../../src/engine/stats';

describe('stats', () => {
  it('histogram: bins over [min, max], the max in the last bin, non-finite values skipped', () => {
    const h = histogram(Float32Array.from([0, 1, 2, 3, 4, NaN, Infinity, -Infinity]), 4);
    assert.equal(h.min, 0);
    assert.equal(h.max, 4);
    assert.deepEqual(h.counts, [1, 1, 1, 2]);
    assert.deepEqual(histogram(new Float32Array(0), 3), { min: 0, max: 0, counts: [0, 0, 0] });
  });

  it('channelMoments: per-channel mean and biased variance over N and H·W', () => {
    const x = Tensor.from([2, 2, 1, 2], [1, 3, 10, 10, 5, 7, 20, 30]);
    const { mean, variance } = channelMoments(x);
    assert.deepEqual(mean, [4, 17.5]);
    assert.deepEqual(variance, [5, 68.75]);
  });

  it('collects batch stats in eval mode from the BN input (running stats are used there)', async () => {
    const m = buildModel('bn', { sampleShape: [2] });
    m.eval();
    m.forward(Tensor.from([2, 2], [1, 10, 3, 30]));
    const [s] = await collectBnStats(m);
    assert.deepEqual(s.batchMean, [2, 20]);
    assert.deepEqual(s.batchVar, [1, 100]);
    assert.deepEqual(s.runningMean, [0, 0]);
    assert.deepEqual(s.runningVar, [1, 1]);
  });
});
