import assert from 'node:assert/strict';
import { blobs } from './blobs';
import { epochOrder, Rng, train, UserError, type Sequential, type StepEvent, type TrainConfig, type TrainEvent } from '../../../src/engine';


const base: TrainConfig = { spec: 'linear(8) bn relu linear', batchSize: 4, optimizer: 'adam', lr: 0.05, seed: 3, shuffle: true, epochs: 2, statsEvery: 0 };

async function run(config: Partial<TrainConfig>, data = blobs(10), extra: Partial<Parameters<typeof train>[0]> = {}) {
  const events: TrainEvent[] = [];
  const saved: number[] = [];
  const result = await train({
    dataset: data,
    config: { ...base, ...config },
    onEvent: (e) => events.push(e),
    saveCheckpoint: async (_m, req) => {
      saved.push(req.step);
      return `ckpt@${req.step}`;
    },
    ...extra,
  });
  return { ...result, events, saved, steps: events.filter((e): e is StepEvent => e.type === 'step') };
}

const weights = (m: Sequential) => [...m.stateDict()].map(([k, v]) => [k, Array.from(v.tensor.data)]);

describe('trainer', () => {
  it('batches like DataLoader(drop_last=False): 10 samples, batch 4 → 3 steps per epoch', async () => {
    const { steps, events, done, saved } = await run({});
    assert.deepEqual(steps.map((s) => [s.step, s.epoch]), [[1, 1], [2, 1], [3, 1], [4, 2], [5, 2], [6, 2]]);
    const start = events[0];
    assert.ok(start.type === 'start' && start.totalSteps === 6 && start.stepsPerEpoch === 3);
    assert.deepEqual(events.filter((e) => e.type === 'eval').map((e) => e.step), [3, 6]);
    assert.deepEqual(saved, [3, 6]);
    const { seconds, ...rest } = done;
    assert.deepEqual(rest, { type: 'done', reason: 'completed', step: 6, checkpoint: 'ckpt@6' });
    assert.ok(seconds !== undefined && seconds >= 0 && seconds < 60, `seconds: ${seconds}`);
    assert.equal(events.at(-1), done);
  });

  it('--steps stops mid-epoch and still evaluates and checkpoints at the end', async () => {
    const { steps, saved, events } = await run({ steps: 4 });
    assert.equal(steps.length, 4);
    assert.deepEqual(saved, [3, 4]);
    assert.deepEqual(events.filter((e) => e.type === 'eval').map((e) => e.step), [3, 4]);
  });

  it('no shuffle gives file order; shuffle gives a fresh seeded permutation each epoch', () => {
    assert.deepEqual(Array.from(epochOrder(new Int32Array(5), null)), [0, 1, 2, 3, 4]);
    const rng = new Rng(1), idx = new Int32Array(20);
    const e1 = Array.from(epochOrder(idx, rng)), e2 = Array.from(epochOrder(idx, rng));
    assert.notDeepEqual(e1, e2);
    assert.deepEqual([...e1].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
    assert.deepEqual(Array.from(epochOrder(new Int32Array(20), new Rng(1))), e1);
  });

  it('--no-shuffle trains on consecutive slices in file order, also across epochs', async () => {
    const data = blobs(10);
    const read: number[] = [];
    const pixels = new Proxy(data.train.pixels, {
      get: (t, k) => {
        if (typeof k === 'string' && /^\d+$/.test(k)) read.push(Math.floor(Number(k) / 2));
        return Reflect.get(t, k);
      },
    });
    const perStep: number[][] = [];
    await run({ shuffle: false }, { ...data, train: { ...data.train, pixels } }, {
      onEvent: (e) => e.type === 'step' && perStep.push([...new Set(read.splice(0))]),
    });
    assert.deepEqual(perStep, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('the same seed gives a bit-identical run; shuffling changes it', async () => {
    const a = await run({}), b = await run({}), c = await run({ shuffle: false });
    assert.deepEqual(a.steps.map((s) => s.loss), b.steps.map((s) => s.loss));
    assert.deepEqual(weights(a.model), weights(b.model));
    assert.notDeepEqual(a.steps.map((s) => s.loss), c.steps.map((s) => s.loss));
  });

  it('the loss falls on separable blobs', async () => {
    const { steps } = await run({ epochs: 6 }, blobs(40));
    const first = steps.slice(0, 5).reduce((s, e) => s + e.loss, 0), last = steps.slice(-5).reduce((s, e) => s + e.loss, 0);
    assert.ok(last < 0.5 * first, `loss did not fall: ${first / 5} → ${last / 5}`);
  });

  it('lr 0 leaves every weight unchanged (Adam); running statistics still update', async () => {
    const init = (await run({ steps: 1 })).model.stateDict();
    const { model } = await run({ lr: 0 }, blobs(10), { initState: init });
    for (const [k, v] of model.stateDict()) {
      if (k.includes('running') || k.includes('num_batches')) continue;
      assert.deepEqual(Array.from(v.tensor.data), Array.from(init.get(k)!.tensor.data), k);
    }
    assert.equal(model.stateDict().get('1.num_batches_tracked')!.tensor.data[0], 1 + 6);
  });

  it('cancels at a step boundary, saves the (finite) model and reports cancelled', async () => {
    const abort = new AbortController();
    const r = await run({ epochs: 5 }, blobs(10), {
      signal: abort.signal,
      onEvent: (e) => e.type === 'step' && e.step === 2 && abort.abort(),
    });
    assert.equal(r.done.reason, 'cancelled');
    assert.equal(r.done.step, 2);
    assert.deepEqual(r.saved, [2]);
    assert.equal(r.done.checkpoint, 'ckpt@2');
  });

  it('a NaN loss stops training with a clear message and keeps the last good checkpoint', async () => {
    const data = blobs(10);
    const r = await run({ epochs: 3 }, data, {
      onEvent: (e) => {
        if (e.type === 'checkpoint' && e.step === 3) (data.train.pixels as Float32Array).fill(NaN);
      },
    });
    assert.equal(r.done.reason, 'diverged');
    assert.equal(r.done.step, 3);
    assert.match(r.done.message!, /loss became NaN in step 4 \(epoch 2\).*last good checkpoint is ckpt@3/);
    assert.deepEqual(r.saved, [3]);
    assert.equal(r.done.checkpoint, 'ckpt@3');
  });

  it('emits BN stats and per-layer gradient norms at the configured interval', async () => {
    const { events } = await run({ statsEvery: 2 });
    const stats = events.filter((e) => e.type === 'stats');
    assert.deepEqual(stats.map((s) => s.step), [2, 4, 6]);
    const s = stats[0];
    assert.ok(s.type === 'stats');
    const [bn] = s.bn;
    assert.equal(bn.layer, 1);
    assert.equal(bn.channels, 8);
    for (const k of ['batchMean', 'batchVar', 'runningMean', 'runningVar', 'gamma', 'beta'] as const) assert.equal(bn[k]!.length, 8, k);
    assert.equal(bn.histBefore.counts.reduce((a, b) => a + b, 0), 4 * 8);
    assert.ok(bn.histAfter.min < 0 && bn.histAfter.max > 0);
    assert.deepEqual(s.gradNorms.map((g) => [g.layer, g.kind]), [[0, 'linear'], [1, 'bn'], [3, 'linear']]);
    assert.ok(s.gradNorms.every((g) => g.norm > 0 && Number.isFinite(g.norm)));
  });

  it('rejects bad config values with a UserError naming them', async () => {
    for (const [c, re] of [[{ batchSize: 0 }, /batch size must be an integer ≥ 1, got 0/], [{ bn: { momentum: 2 } }, /bn momentum must be in \[0, 1\] or none, got 2/],
      [{ lr: -1 }, /learning rate/], [{ epochs: 0 }, /epochs/], [{ seed: 2 ** 32 }, /seed must be an integer in \[0, 4294967295\], got 4294967296/]] as const) {
      await assert.rejects(run(c as Partial<TrainConfig>), (e: unknown) => e instanceof UserError && re.test(e.message));
    }
  });
});
