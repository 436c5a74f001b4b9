/**
 * Issue 12, items 6 and 7: a checkpoint with NaN/Inf weights or a negative running_var is refused on
 * load, naming the tensor; a checkpoint is only written (and named "last good") when an eval-mode
 * forward pass on test samples is finite; a divergence message names the real step.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadDataset } from '../../../src/data/load';
import { decodeSafetensors, encodeSafetensors, train, UserError, type OptimizerName } from '../../../src/engine';
import { loadCheckpoint, modelFromCheckpoint, saveCheckpoint } from '../../../src/engine/checkpoint';
import { evaluate } from '../../../src/engine/trainer';
import { bnlab, DATA, ensureBuilt, events, failsWith, removeTempDirs, SPEC, tempDir } from './helpers';

describe('faults: checkpoints', function () {
  this.timeout(120_000);
  let dir: string, good: string;
  before(() => {
    ensureBuilt();
    dir = tempDir();
    good = join(dir, 'good');
    const r = bnlab(['train', '--model', SPEC, '--data', DATA, '--steps', '2', '--batch', '20', '--out', good]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(removeTempDirs);

  /** A copy of the good checkpoint with tensor `name`[index] set to `value`. */
  function damaged(name: string, index: number, value: number, tag: string): string {
    const out = join(dir, tag);
    mkdirSync(out, { recursive: true });
    copyFileSync(join(good, 'model.json'), join(out, 'model.json'));
    const { tensors, metadata } = decodeSafetensors(readFileSync(join(good, 'model.safetensors')));
    const t = tensors.get(name)!.tensor;
    t.data[index % t.size] = value;
    writeFileSync(join(out, 'model.safetensors'), encodeSafetensors(tensors, metadata));
    return out;
  }

  it('eval, export and train --init refuse a NaN weight in one line naming the tensor and index (exit 3)', () => {
    const bad = damaged('0.weight', 5, NaN, 'nan');
    const line = /model\.safetensors: tensor 0\.weight holds NaN at index 5 \(1 of 18 values are not finite\); the checkpoint is damaged or comes from a diverged run$/;
    failsWith(bnlab(['eval', '--checkpoint', bad]), 3, line);
    failsWith(bnlab(['export', '--checkpoint', bad, '--out', join(dir, 'x.onnx')]), 3, line);
    failsWith(bnlab(['train', '--data', DATA, '--init', bad, '--steps', '1', '--out', join(dir, 'from-nan')]), 3, line);
    assert.ok(!existsSync(join(dir, 'x.onnx')));
  });

  it('a negative running_var is refused naming it', () => {
    const bad = damaged('1.running_var', 1, -0.5, 'negvar');
    failsWith(bnlab(['eval', '--checkpoint', bad]), 3, /tensor 1\.running_var holds a negative variance -0\.5 at index 1; the checkpoint is damaged$/);
  });

  it('property: any non-finite value in any tensor, or a negative value in any running_var, is refused on load naming that tensor', async () => {
    const names = [...decodeSafetensors(readFileSync(join(good, 'model.safetensors'))).tensors.keys()].filter((k) => !k.endsWith('num_batches_tracked'));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity, -1e-3, -3), async (name, index, value) => {
        const negativeOnly = Number.isFinite(value);
        const bad = damaged(name, index, value, `prop-${n++}`);
        if (negativeOnly && !name.endsWith('running_var')) {
          await loadCheckpoint(bad); // a negative weight is fine
          return;
        }
        await assert.rejects(loadCheckpoint(bad), (e: Error) => e instanceof UserError && e.message.includes(`tensor ${name} holds`));
      }),
      { numRuns: 40, seed: 6 },
    );
  });

  it('SGD at lr 1e8 for 2 steps: the weights stay finite but eval-mode outputs do not, so no checkpoint is written or named', () => {
    const out = join(dir, 'lr1e8');
    const r = bnlab(['train', '--model', SPEC, '--data', DATA, '--optimizer', 'sgd', '--lr', '1e8', '--steps', '2', '--batch', '20', '--json', '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    const done = events(r.stdout).at(-1)!;
    assert.equal(done.reason, 'diverged');
    assert.match(String(done.message), /the eval-mode outputs on test samples became non-finite after step 2 \(epoch 1\); stopped with no checkpoint written/);
    assert.ok(!existsSync(join(out, 'model.safetensors')));
  });

  it('property: whatever the learning rate, a checkpoint a run names evaluates to a finite test loss, and the step in a divergence message is the real one', async () => {
    const data = await loadDataset(DATA);
    let n = 0;
    await fc.assert(
      // Up to 1e10 the weights stay finite for a few steps (an epoch-end check stops the run); from 1e20 the loss itself turns NaN mid-epoch.
      fc.asyncProperty(fc.constantFrom(1e2, 1e4, 1e6, 1e8, 1e10, 1e20, 1e30), fc.constantFrom('sgd', 'adam') as fc.Arbitrary<OptimizerName>, fc.integer({ min: 1, max: 7 }), async (lr, optimizer, steps) => {
        const out = join(dir, `lr-${n++}`);
        let stepEvents = 0;
        const { done } = await train({
          dataset: data,
          config: { spec: SPEC, batchSize: 20, steps, optimizer, lr, seed: 0, shuffle: true, statsEvery: 0 },
          onEvent: (e) => void (e.type === 'step' && stepEvents++),
          saveCheckpoint: (model, req) => saveCheckpoint(out, model, { numClasses: 10, normalization: { scale: 1 / 255 }, step: req.step }),
        });
        if (done.checkpoint) {
          const { model, meta } = await modelFromCheckpoint(done.checkpoint);
          assert.ok(Number.isFinite((await evaluate(model, data.test, meta.normalization)).loss), `checkpoint of step ${meta.step} evaluates to a non-finite loss`);
        }
        if (done.reason === 'diverged') {
          const m = /(after|in) step (\d+)/.exec(done.message!);
          assert.ok(m, done.message);
          assert.equal(Number(m[2]), m[1] === 'after' ? stepEvents : stepEvents + 1, `${done.message} after ${stepEvents} completed steps`);
        }
      }),
      { numRuns: 30, seed: 7 },
    );
  });
});
