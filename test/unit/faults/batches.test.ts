/**
 * Issue 12, item 3: a last batch of one sample, which BN cannot normalize in training, is refused
 * before training starts with its cure (drop-last or another batch size); drop-last trains.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Dataset, Split } from '../../../src/data/dataset';
import { Rng, train, UserError, type TrainEvent } from '../../../src/engine';
import { bnlab, ensureBuilt, events, failsWith, removeTempDirs, tempDir } from './helpers';

/** n samples of [1, 3, 3] pixels with two classes, and a test split of `test`. */
function tiny(n: number, test = 4): Dataset {
  const r = new Rng(n);
  const split = (count: number): Split => ({
    count,
    pixels: Float32Array.from({ length: count * 9 }, () => r.int(256)),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 2),
  });
  return { source: `tiny-${n}`, sampleShape: [1, 3, 3], numClasses: 2, train: split(n), test: split(test) };
}

describe('faults: a partial last batch of one sample', function () {
  this.timeout(120_000);
  before(ensureBuilt);
  after(removeTempDirs);

  it('digits with --batch 19 (8000 = 421 × 19 + 1): refused before training, naming the cause and the cure, nothing written', () => {
    const out = join(tempDir(), 'run');
    const r = bnlab(['train', '--batch', '19', '--out', out]);
    failsWith(r, 3, /^bnlab: batch 19 leaves a last batch of 1 sample \(8000 = 421 × 19 \+ 1\), which layer 7 "bn" cannot normalize in training; use drop-last \(--drop-last, setting bnLab\.dropLast\) or another batch size$/);
    assert.equal(r.stdout, '', 'nothing may start');
    assert.ok(!existsSync(out));
  });

  it('--drop-last trains it: every batch full, floor(n / batch) steps per epoch', () => {
    const out = join(tempDir(), 'run');
    const r = bnlab(['train', '--model', 'flatten linear(8) bn relu linear', '--data', 'synthetic:shapes,n=39,test=10', '--batch', '19', '--drop-last', '--epochs', '2', '--json', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const ev = events(r.stdout);
    assert.equal(ev[0].stepsPerEpoch, 2);
    assert.equal(ev.filter((e) => e.type === 'step').length, 4);
    assert.equal(ev.at(-1)!.reason, 'completed');
    const meta = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    assert.equal(meta.training.dropLast, true);
  });

  it('evaluation never makes a batch of one: 101 test samples with bn(track=false) evaluate (batches of 100 + 1 would not)', async () => {
    const { done } = await train({
      dataset: tiny(20, 101),
      config: { spec: 'flatten linear(4) bn(track=false) relu linear', batchSize: 10, epochs: 1, optimizer: 'sgd', lr: 0.01, seed: 1, shuffle: true, statsEvery: 0, evalBatchSize: 100 },
    });
    assert.equal(done.reason, 'completed', done.message);
  });

  it('property: a batch of one reaching a BN over features is refused before any event; drop-last or a BN over pixels trains', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 1, max: 33 }),
        fc.boolean(),
        fc.constantFrom('flatten linear(4) bn relu linear', 'conv(2,2) bn relu flatten linear'),
        async (n, batch, dropLast, spec) => {
          const seen: TrainEvent[] = [];
          const run = train({ dataset: tiny(n), config: { spec, batchSize: batch, dropLast, epochs: 2, optimizer: 'sgd', lr: 0.01, seed: 1, shuffle: true, statsEvery: 0 }, onEvent: (e) => seen.push(e) });
          const last = dropLast ? batch : n - (Math.ceil(n / batch) - 1) * batch;
          if (dropLast && batch > n) {
            await assert.rejects(run, (e: Error) => e instanceof UserError && /larger than the \d+ training samples/.test(e.message));
            assert.equal(seen.length, 0);
          } else if (last === 1 && spec.includes('linear(4) bn')) {
            await assert.rejects(run, (e: Error) => e instanceof UserError && /batch \d+ (leaves a last batch|gives every batch) .*1 sample.*cannot normalize in training; use drop-last/.test(e.message));
            assert.equal(seen.length, 0, 'refused before training starts');
          } else {
            const { done } = await run;
            assert.equal(done.reason, 'completed', done.message);
            const perEpoch = dropLast ? Math.floor(n / batch) : Math.ceil(n / batch);
            assert.equal(seen.filter((e) => e.type === 'step').length, 2 * perEpoch);
          }
        },
      ),
      { numRuns: 80, seed: 3 },
    );
  });

  it('a step that fails after completed work keeps that work: the checkpoint of the steps done is saved and named', async () => {
    // bn(track=false) normalizes with batch statistics in eval too: a test split of 1 sample fails at the end of epoch 1.
    const saved: number[] = [];
    const { done } = await train({
      dataset: tiny(20, 1),
      config: { spec: 'flatten linear(4) bn(track=false) relu linear', batchSize: 10, epochs: 2, optimizer: 'sgd', lr: 0.01, seed: 1, shuffle: true, statsEvery: 0 },
      saveCheckpoint: async (_m, req) => {
        saved.push(req.step);
        return `ckpt@${req.step}`;
      },
    });
    assert.equal(done.reason, 'failed');
    assert.match(done.message!, /expected more than 1 value per channel/);
    assert.deepEqual(saved, [2]);
    assert.equal(done.checkpoint, 'ckpt@2');
  });
});
