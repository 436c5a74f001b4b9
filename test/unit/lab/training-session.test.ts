import assert from 'node:assert/strict';
import type { LandscapeEvent, ModesEvent, StepEvent, TrainEvent } from '../../../src/engine/events';
import { MODE_SAMPLES } from '../../../src/lab/bn-modes';
import { runTrainingSession } from '../../../src/lab/training-session';
import type { FromWorker, StartMessage } from '../../../src/protocol/worker-messages';
import { blobs } from '../engine/blobs';

async function session(evalModes: boolean, spec = 'linear(8) bn relu linear', landscape?: number[]) {
  const sent: FromWorker[] = [];
  const start: StartMessage = {
    type: 'start', runId: 'r1', data: 'test-blobs', digitsPath: '', outDir: '/nowhere', evalModes, landscape,
    config: { spec, batchSize: 4, optimizer: 'adam', lr: 0.05, seed: 3, shuffle: true, epochs: 2, statsEvery: 2 },
  };
  await runTrainingSession(start, {
    backend: 'cpu', signal: new AbortController().signal, send: (m) => sent.push(m), loadDataset: async () => blobs(20, 9),
    saveCheckpoint: async (_m, req) => `ckpt@${req.step}`,
  });
  const events = sent.flatMap((m): TrainEvent[] => (m.type === 'event' ? [m.event] : []));
  return { sent, events, landscapes: events.filter((e): e is LandscapeEvent => e.type === 'landscape'), steps: events.filter((e): e is StepEvent => e.type === 'step'), modes: events.filter((e): e is ModesEvent => e.type === 'modes') };
}

describe('training session: BN eval vs train mode over the run', () => {
  it('measures both modes on the first test samples at every stats step, without changing the training', async () => {
    const measured = await session(true);
    const plain = await session(false);
    const statsSteps = measured.events.filter((e) => e.type === 'stats').map((e) => e.step);
    assert.deepEqual(statsSteps, [2, 4, 6, 8, 10]);
    assert.deepEqual(measured.modes.map((e) => [e.step, e.samples]), statsSteps.map((s) => [s, Math.min(9, MODE_SAMPLES)]));
    for (const e of measured.modes) assert.ok(e.eval >= 0 && e.eval <= 1 && e.train >= 0 && e.train <= 1, JSON.stringify(e));
    // Measuring runs forward passes in train mode between steps: running statistics and the trajectory are as without it.
    assert.deepEqual(measured.steps.map((s) => s.loss), plain.steps.map((s) => s.loss));
    assert.deepEqual(measured.events.filter((e) => e.type === 'eval'), plain.events.filter((e) => e.type === 'eval'));
    assert.equal(plain.modes.length, 0);
    assert.ok(measured.sent.some((m) => m.type === 'modes'), 'the whole-split measurement after training');
  });

  it('measures nothing for a model without BN', async () => {
    assert.equal((await session(true, 'linear(8) relu linear')).modes.length, 0);
  });
});

describe('training session: the loss landscape along the gradient (Santurkar et al. 2018)', () => {
  for (const spec of ['linear(8) bn relu linear', 'linear(8) relu linear'])
    it(`${spec}: measures L(w − ηg) and the gradient change at every stats step on the first training batch, without changing the training`, async () => {
      const measured = await session(false, spec, [0.1, 0.5]);
      const plain = await session(false, spec);
      assert.deepEqual(measured.landscapes.map((e) => [e.step, e.samples, e.points.map((p) => p.eta)]), [2, 4, 6, 8, 10].map((s) => [s, 4, [0.1, 0.5]]));
      for (const e of measured.landscapes) assert.ok([e.loss, e.gradNorm, ...e.points.flatMap((p) => [p.loss, p.gradChange])].every((v) => Number.isFinite(v) && v > 0), JSON.stringify(e));
      assert.deepEqual(measured.steps.map((s) => s.loss), plain.steps.map((s) => s.loss));
      assert.deepEqual(measured.events.filter((e) => e.type === 'eval' || e.type === 'stats'), plain.events.filter((e) => e.type === 'eval' || e.type === 'stats'));
      assert.equal(plain.landscapes.length, 0);
    });
});
