import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { command, is, notification, parseCommand, parseNotification } from '../../../src/protocol/messages';
import { parseNotebookOutput } from '../../../src/protocol/notebook-output';
import type { TrainEvent } from '../../../src/engine/events';

const hist = { min: -1, max: 2, counts: [1, 4, 2] };
const events: TrainEvent[] = [
  { type: 'start', runId: 'r1', spec: 'seed', dataset: 'digits', backend: 'cpu', totalSteps: 80, stepsPerEpoch: 80, batchSize: 100, config: { lr: 0.001 } },
  { type: 'step', step: 1, epoch: 0, loss: 2.3, accuracy: 0.1, lr: 0.001, samplesPerSec: 420 },
  { type: 'eval', step: 1, epoch: 0, split: 'test', loss: 2.2, accuracy: 0.2 },
  {
    type: 'stats', step: 1, epoch: 0,
    bn: [{ layer: 1, channels: 2, batchMean: [0, 1], batchVar: [1, 2], runningMean: [0, 0.1], runningVar: [1, 1.1], gamma: [1, 1], beta: null, histBefore: hist, histAfter: hist }],
    gradNorms: [{ layer: 0, kind: 'conv', norm: 0.5 }],
  },
  { type: 'checkpoint', step: 1, dir: '/tmp/ck' },
  { type: 'done', reason: 'completed', step: 1, checkpoint: '/tmp/ck' },
];

describe('protocol messages', () => {
  it('round-trips every trainer event through JSON (as postMessage does)', () => {
    const sent = notification('run/events', { runId: 'r1', label: 'BN', events });
    const got = parseNotification(JSON.parse(JSON.stringify(sent)));
    assert.ok(got.ok);
    assert.deepEqual(got.message, sent);
  });

  it('reads a non-finite loss that JSON turned into null back as NaN', () => {
    const raw = JSON.parse(JSON.stringify(notification('run/events', { runId: 'r', label: '', events: [{ ...events[1], loss: NaN } as TrainEvent] })));
    assert.equal(raw.params.events[0].loss, null);
    const got = parseNotification(raw);
    assert.ok(got.ok && is(got.message, 'run/events'));
    assert.ok(Number.isNaN((got.message.params.events[0] as { loss: number }).loss));
  });

  it('narrows a command to its params type', () => {
    const got = parseCommand(command('training/stop', { runId: 'r1' }));
    assert.ok(got.ok);
    assert.ok(is(got.message, 'training/stop'));
    assert.equal(got.message.params.runId, 'r1');
  });

  it('rejects an unknown method with a reason naming it', () => {
    const got = parseCommand({ method: 'fs/delete', params: {} });
    assert.deepEqual(got, { ok: false, reason: 'unknown command method "fs/delete"' });
  });

  it('does not treat Object.prototype names as methods', () => {
    assert.equal(parseCommand({ method: 'constructor', params: {} }).ok, false);
    assert.equal(parseNotification({ method: '__proto__', params: {} }).ok, false);
  });

  it('rejects a notification sent as a command and vice versa', () => {
    assert.equal(parseCommand(notification('runs/reset', {})).ok, false);
    assert.equal(parseNotification(command('webview/ready', {})).ok, false);
  });

  it('rejects malformed envelopes', () => {
    for (const raw of [null, 42, 'run/events', [], {}, { method: 1, params: {} }, { method: 'webview/ready', params: {}, extra: 1 }]) {
      const got = parseCommand(raw);
      assert.equal(got.ok, false, JSON.stringify(raw));
      assert.match((got as { reason: string }).reason, /malformed command/);
    }
  });

  it('names the bad field of an invalid event', () => {
    const bad = { method: 'run/events', params: { runId: 'r', label: 'x', events: [events[0], { ...events[1], accuracy: 'high' }] } };
    const got = parseNotification(bad);
    assert.deepEqual(got, { ok: false, reason: 'invalid notification "run/events": params.events[1].accuracy: expected a number' });
  });

  it('rejects an event of an unknown type and a stats event with a bad histogram', () => {
    const unknown = parseNotification({ method: 'run/events', params: { runId: 'r', label: '', events: [{ type: 'explode', step: 1 }] } });
    assert.equal(unknown.ok, false);
    assert.match((unknown as { reason: string }).reason, /params\.events\[0\]\.type/);
    const stats = JSON.parse(JSON.stringify(events[3]));
    stats.bn[0].histBefore.counts = [1, -2];
    const bad = parseNotification({ method: 'run/events', params: { runId: 'r', label: '', events: [stats] } });
    assert.equal(bad.ok, false);
    assert.match((bad as { reason: string }).reason, /params\.events\[0\]\.bn\[0\]\.histBefore\.counts\[1\]/);
  });

  it('rejects a command with a value outside its enum', () => {
    const got = parseCommand({ method: 'command/run', params: { command: 'rm -rf' } });
    assert.equal(got.ok, false);
    assert.match((got as { reason: string }).reason, /^invalid command "command\/run": params\.command:/);
  });

  it('never throws and never accepts garbage (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        const a = parseCommand(raw);
        const b = parseNotification(raw);
        // fc.anything() can build { method, params } only by chance; a known method with random params must still validate.
        for (const r of [a, b]) if (!r.ok) assert.ok(r.reason.length > 0);
      }),
      { numRuns: 500 },
    );
  });

  it('accepts any valid stop command and rejects mutated ones (property)', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ minLength: 1, maxLength: 50 }), { nil: undefined }), fc.anything(), (id, junk) => {
        assert.ok(parseCommand({ method: 'training/stop', params: id === undefined ? {} : { runId: id } }).ok);
        if (typeof junk !== 'string' && junk !== undefined) assert.equal(parseCommand({ method: 'training/stop', params: { runId: junk } }).ok, false);
      }),
    );
  });
});

describe('notebook output', () => {
  const run = {
    runId: 'r', label: 'BN', status: 'running', spec: 'seed', dataset: 'digits', backend: 'cpu', step: 3, totalSteps: 80, stepsPerSec: 2,
    trainLoss: { step: [1, 2, 3], value: [2.3, 2.1, null] }, testAccuracy: { step: [], value: [] },
    bn: [{ layer: 1, channels: 32, batchMean: 0.1, batchVar: 1, runningMean: 0.01, runningVar: 0.9, gamma: 1, beta: 0 }],
  };
  it('accepts a valid output and restores null as NaN', () => {
    const got = parseNotebookOutput({ version: 1, runs: [run] });
    assert.ok(got.ok);
    assert.ok(Number.isNaN(got.value.runs[0].trainLoss.value[2]));
  });
  it('rejects mismatched series and names where', () => {
    const got = parseNotebookOutput({ version: 1, runs: [{ ...run, trainLoss: { step: [1], value: [1, 2] } }] });
    assert.deepEqual(got, { ok: false, reason: 'invalid BN Lab output at runs.0.trainLoss: step and value must have the same length' });
    assert.equal(parseNotebookOutput({ version: 2, runs: [] }).ok, false);
  });
});
