/**
 * Training worker thread: runs the engine's trainer off the extension host's thread and streams
 * its events back. Started by training/manager.ts with `new Worker(dist/worker/train-worker.js)`.
 */
import { parentPort } from 'node:worker_threads';
import { DEFAULT_NORMALIZATION } from '../../data/dataset';
import { loadDataset } from '../../data/load';
import { setCpuThreads } from '../../engine/backends/cpu/threads';
import { saveCheckpoint } from '../../engine/checkpoint';
import type { TrainEvent } from '../../engine/events';
import { train } from '../../engine/trainer';
import { parseWorkerMessage, toWorkerSchema, type FromWorker, type ToWorker } from '../../protocol/worker-messages';
import { bnModeAccuracies } from '../training/bn-modes';

const port = parentPort;
if (!port) throw new Error('train-worker must run in a worker thread');
const send = (m: FromWorker) => port.postMessage(m);
const abort = new AbortController();
let started = false;
let lastStep = 0;

port.on('message', (raw: unknown) => {
  const parsed = parseWorkerMessage(toWorkerSchema, raw);
  if (!parsed.ok) return send({ type: 'event', event: { type: 'done', reason: 'failed', step: 0, message: parsed.reason } });
  const msg = parsed.message;
  if (msg.type === 'stop') {
    if (!abort.signal.aborted) send({ type: 'stopping', step: lastStep });
    abort.abort();
  }
  else if (!started) {
    started = true;
    run(msg).finally(() => send({ type: 'finished' }));
  }
});

async function run(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const emit = (event: TrainEvent) => {
    if ('step' in event) lastStep = event.step;
    send({ type: 'event', event });
  };
  try {
    if (m.cpuThreads) setCpuThreads(m.cpuThreads);
    const dataset = await loadDataset(m.data, { digitsPath: m.digitsPath });
    if (abort.signal.aborted) return emit({ type: 'done', reason: 'cancelled', step: 0, message: 'training was cancelled' });
    const norm = m.config.normalization ?? DEFAULT_NORMALIZATION;
    const { done, model } = await train({
      dataset,
      config: m.config,
      runId: m.runId,
      backend: 'cpu',
      signal: abort.signal,
      onEvent: emit,
      saveCheckpoint: (model, req) =>
        saveCheckpoint(m.outDir, model, {
          numClasses: dataset.numClasses, classNames: dataset.classNames ? [...dataset.classNames] : undefined, normalization: norm,
          dataset: m.data, training: { ...m.config }, step: req.step, epoch: req.epoch,
        }),
    });
    if (m.evalModes && done.reason === 'completed' && model.layers.some((l) => l.kind === 'bn')) {
      send({ type: 'modes', ...bnModeAccuracies(model, dataset.test, norm, m.config.batchSize) });
    }
  } catch (e) {
    emit({ type: 'done', reason: 'failed', step: lastStep, message: e instanceof Error ? e.message : String(e) });
  }
}
