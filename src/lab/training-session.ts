/**
 * One training run inside a runner (the Node worker thread or the WebGPU webview): trains with the
 * start message's config on the runner's backend, streams events, measures BN train/eval-mode
 * accuracy at each stats step (on MODE_SAMPLES test samples, as `modes` events) and at the end (the whole test split),
 * the loss landscape along the gradient at each stats step (`landscape` events, on the first training batch), and tells
 * the host when the GPU gave out so it can go on on the CPU.
 * Pure: the runner supplies data, checkpoint writing and the backend.
 */
import { DEFAULT_NORMALIZATION, gatherBatch, type Dataset, type Normalization, type Split } from '../data/dataset';
import { upload, type BackendName } from '../engine/backend';
import type { TrainEvent } from '../engine/events';
import { measureLandscape } from '../engine/landscape';
import type { Sequential, StateDict } from '../engine/model';
import { train, type CheckpointRequest } from '../engine/trainer';
import type { FromWorker, StartMessage } from '../protocol/worker-messages';
import { bnModeAccuracies, firstSamples, MODE_SAMPLES } from './bn-modes';

/** The first `batch` training samples, normalized as training normalizes them: the batch the landscape is measured on. */
function fixedBatch(train: Split, shape: readonly number[], batch: number, norm: Normalization) {
  const samples = Math.min(batch, train.count);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(samples * size), labels = new Int32Array(samples);
  gatherBatch(train, shape, Int32Array.from({ length: samples }, (_, i) => i), 0, samples, norm, x, labels);
  return { samples, x: upload([samples, ...shape], x), labels };
}

export interface RunnerIO {
  backend: BackendName;
  send(m: FromWorker): void;
  loadDataset(): Promise<Dataset>;
  /** Weights to resume from (start.resume), if any. */
  loadResumeState?(): Promise<StateDict>;
  saveCheckpoint(model: Sequential, req: CheckpointRequest, dataset: Dataset): Promise<string>;
  signal: AbortSignal;
  /** True for errors of the device itself (the host then falls back to the CPU). */
  isBackendFailure?(e: unknown): boolean;
}

/** Runs the session; resolves when it is over (after `done` or `backendFailed`), never rejects. */
export async function runTrainingSession(m: StartMessage, io: RunnerIO): Promise<void> {
  let lastStep = m.resume?.step ?? 0;
  const emit = (event: TrainEvent) => {
    if ('step' in event) lastStep = event.step;
    io.send({ type: 'event', event });
  };
  try {
    const dataset = await io.loadDataset();
    if (io.signal.aborted) return emit({ type: 'done', reason: 'cancelled', step: lastStep, message: 'training was cancelled' });
    const norm = m.config.normalization ?? DEFAULT_NORMALIZATION;
    const subset = firstSamples(dataset.test, MODE_SAMPLES);
    const hasBn = (model: Sequential) => model.layers.some((l) => l.kind === 'bn');
    let fixed: ReturnType<typeof fixedBatch> | undefined;
    const { done, model } = await train({
      dataset,
      config: m.config,
      runId: m.runId,
      backend: io.backend,
      signal: io.signal,
      onEvent: emit,
      initState: io.loadResumeState ? await io.loadResumeState() : undefined,
      startStep: m.resume?.step,
      saveCheckpoint: (model, req) => io.saveCheckpoint(model, req, dataset),
      atStats: async (model, at) => {
        if (m.evalModes && subset.count > 1 && hasBn(model))
          emit({ type: 'modes', ...at, samples: subset.count, ...(await bnModeAccuracies(model, subset, norm, m.config.batchSize)) });
        if (m.landscape) {
          fixed ??= fixedBatch(dataset.train, model.inputShape, m.config.batchSize, norm);
          emit({ type: 'landscape', ...at, samples: fixed.samples, ...(await measureLandscape(model, fixed.x, fixed.labels, m.landscape)) });
        }
      },
    });
    if (m.evalModes && done.reason === 'completed' && hasBn(model)) {
      io.send({ type: 'modes', ...(await bnModeAccuracies(model, dataset.test, norm, m.config.batchSize)) });
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (io.isBackendFailure?.(e)) io.send({ type: 'backendFailed', reason: message });
    else emit({ type: 'done', reason: 'failed', step: lastStep, message });
  }
}
