/**
 * Training worker thread: runs a training session (lab/training-session.ts) on the CPU backend
 * off the extension host's thread and streams its events back. Started by training/manager.ts
 * with `new Worker(dist/worker/train-worker.js)`.
 */
import { parentPort } from 'node:worker_threads';
import { DEFAULT_NORMALIZATION } from '../../data/dataset';
import { loadDataset } from '../../data/load';
import { setCpuThreads } from '../../engine/backends/cpu/threads';
import { loadCheckpoint, saveCheckpoint } from '../../engine/checkpoint';
import { hostMemoryLimit } from '../../engine/host-memory';
import { runTrainingSession } from '../../lab/training-session';
import { parseWorkerMessage, toWorkerSchema, type FromWorker } from '../../protocol/worker-messages';

const port = parentPort;
if (!port) throw new Error('train-worker must run in a worker thread');
const send = (m: FromWorker) => port.postMessage(m);
const abort = new AbortController();
let started = false;
let lastStep = 0;

port.on('message', (raw: unknown) => {
  const parsed = parseWorkerMessage(toWorkerSchema, raw);
  if (!parsed.ok) return send({ type: 'event', event: { type: 'done', reason: 'failed', step: 0, message: parsed.reason } });
  const m = parsed.message;
  if (m.type === 'stop') {
    if (!abort.signal.aborted) send({ type: 'stopping', step: lastStep });
    abort.abort();
  } else if (m.type === 'start' && !started) {
    started = true;
    const resume = m.resume;
    if (m.cpuThreads) setCpuThreads(m.cpuThreads);
    void runTrainingSession({ ...m, config: { maxMemory: hostMemoryLimit(), ...m.config } }, {
      backend: 'cpu',
      signal: abort.signal,
      send: (out) => {
        if (out.type === 'event' && 'step' in out.event) lastStep = out.event.step;
        send(out);
      },
      loadDataset: () => loadDataset(m.data, { digitsPath: m.digitsPath }),
      loadResumeState: resume ? async () => (await loadCheckpoint(resume.dir)).stateDict : undefined,
      saveCheckpoint: (model, req, dataset) =>
        saveCheckpoint(m.outDir, model, {
          numClasses: dataset.numClasses, classNames: dataset.classNames ? [...dataset.classNames] : undefined,
          normalization: m.config.normalization ?? DEFAULT_NORMALIZATION, dataset: m.data, training: { ...m.config }, step: req.step, epoch: req.epoch,
        }),
    }).finally(() => send({ type: 'finished' }));
  }
});
