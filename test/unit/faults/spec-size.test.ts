/**
 * Issue 12, item 5: a spec too large for memory is refused before anything is allocated, with the
 * estimate and the limit (configurable with --max-memory / TrainConfig.maxMemory).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Dataset } from '../../../src/data/dataset';
import { Rng, train, UserError, type TrainConfig } from '../../../src/engine';
import { bnlab, ensureBuilt, failsWith } from './helpers';

const SIZE = /\d+(\.\d)? (B|KiB|MiB|GiB|TiB|PiB)/.source;

function images(n: number): Dataset {
  const r = new Rng(7);
  const split = (count: number) => ({ count, pixels: Float32Array.from({ length: count * 64 }, () => r.int(256)), labels: Uint8Array.from({ length: count }, (_, i) => i % 3) });
  return { source: 'images-8x8', sampleShape: [1, 8, 8], numClasses: 3, train: split(n), test: split(6) };
}

describe('faults: model size guard', function () {
  this.timeout(120_000);
  before(ensureBuilt);

  for (const spec of ['conv(8000,5) bn relu flatten linear(10)', 'conv(100000,5) flatten linear', 'flatten linear(1000000000)']) {
    it(`"${spec}" on digits is refused at once with the estimate and the limit (exit 3)`, () => {
      const r = bnlab(['train', '--model', spec, '--steps', '1'], { timeoutMs: 20_000 });
      failsWith(r, 3, new RegExp(`^bnlab: the model "${spec.replace(/[()]/g, '\\$&')}" with batch 100 needs (about|at least) ${SIZE}, more than the limit of ${SIZE}; use a smaller model or batch, or raise the limit \\(--max-memory, setting bnLab\\.maxMemory\\)$`));
      assert.ok(r.ms < 5000, `took ${Math.round(r.ms)} ms`);
    });
  }

  it('a shape error still comes before the size: linear(1000000000) on images names the missing flatten', () => {
    failsWith(bnlab(['train', '--model', 'linear(1000000000)', '--steps', '1']), 3, /layer 1 "linear\(1000000000\)": expects a flat input \[features\] \(add flatten before it\), got input shape \[1, 28, 28\]/);
  });

  it('--max-memory sets the limit: the seed net fits in the default, not in 64M; bad sizes are usage errors', () => {
    failsWith(bnlab(['train', '--max-memory', '64M', '--steps', '1']), 3, /needs (about|at least) \d+ MiB, more than the limit of 64 MiB/);
    failsWith(bnlab(['train', '--max-memory', 'lots']), 2, /--max-memory.*expected a size such as 8G, 512M/);
  });

  it('property: refused before any event exactly when under a limit; a limit below weights + gradients always refuses; refusal is monotone in the limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 2, max: 16 }), fc.integer({ min: 10, max: 24 }), async (width, hidden, batch, log2Limit) => {
        const config: TrainConfig = { spec: `conv(${width},3) bn relu flatten linear(${hidden}) relu linear`, batchSize: batch, steps: 1, optimizer: 'adam', lr: 1e-3, seed: 0, shuffle: false, statsEvery: 0 };
        const attempt = async (maxMemory: number) => {
          let events = 0;
          try {
            const { model } = await train({ dataset: images(20), config: { ...config, maxMemory }, onEvent: () => events++ });
            return { refused: false, params: model.params().reduce((a, p) => a + p.param.value.size, 0) };
          } catch (e) {
            assert.ok(e instanceof UserError, String(e));
            assert.match(e.message, new RegExp(`needs (about|at least) ${SIZE}, more than the limit of ${SIZE}`));
            assert.equal(events, 0, 'refused before training started');
            return { refused: true, params: 0 };
          }
        };
        const big = await attempt(2 ** 40);
        assert.equal(big.refused, false);
        assert.ok((await attempt(8 * big.params - 1)).refused, 'weights and gradients alone exceed the limit');
        const limit = 2 ** log2Limit;
        if ((await attempt(limit)).refused) assert.ok((await attempt(limit / 2)).refused, 'a smaller limit must refuse too');
      }),
      { numRuns: 25, seed: 5 },
    );
  });
});
