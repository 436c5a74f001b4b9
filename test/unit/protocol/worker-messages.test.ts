import { strict as assert } from 'node:assert';
import { fromWorkerSchema, parseWorkerMessage, toWorkerSchema } from '../../../src/protocol/worker-messages';

describe('worker messages', () => {
  it('accepts a start and a stop, and rejects a start without a TrainConfig', () => {
    const start = { type: 'start', runId: 'r', config: { spec: 'seed', batchSize: 10 }, data: 'digits', digitsPath: '/d.bin', outDir: '/o', evalModes: false };
    assert.ok(parseWorkerMessage(toWorkerSchema, start).ok);
    assert.ok(parseWorkerMessage(toWorkerSchema, { type: 'stop' }).ok);
    assert.deepEqual(parseWorkerMessage(toWorkerSchema, { ...start, config: {} }), { ok: false, reason: 'invalid worker message at config: expected a TrainConfig' });
  });

  it('validates the events a worker sends and rejects unknown messages', () => {
    assert.ok(parseWorkerMessage(fromWorkerSchema, { type: 'event', event: { type: 'checkpoint', step: 3, dir: '/o' } }).ok);
    assert.ok(parseWorkerMessage(fromWorkerSchema, { type: 'modes', eval: 0.9, train: 0.95 }).ok);
    assert.equal(parseWorkerMessage(fromWorkerSchema, { type: 'event', event: { type: 'step', step: -1 } }).ok, false);
    assert.equal(parseWorkerMessage(fromWorkerSchema, { type: 'exec', code: 'x' }).ok, false);
  });
});
