/**
 * The training loop. Pure: no fs, no console — it reports through `onEvent` (events.ts) and saves
 * through the `saveCheckpoint` callback, so it runs the same in the CLI, a worker or a webview.
 * Steps and epochs in events are 1-based counts (step = optimizer steps done, epoch = the epoch it is in).
 * Batches follow torch's DataLoader(drop_last=config.dropLast): the last batch of an epoch may be partial;
 * shuffling draws a fresh permutation each epoch from an Rng seeded by `seed`.
 */
import { DEFAULT_NORMALIZATION, gatherBatch, type Dataset, type Normalization, type Split } from '../data/dataset';
import { evalForwardIsFinite } from './checkpoint-check';
import { UserError, WriteError } from './errors';
import type { DoneEvent, TrainEvent } from './events';
import type { BnOptions } from './layers/batchnorm';
import { empty, getBackend, readFloats, setBackend, store, uploadInto, type BackendName } from './backend';
import { buildModel, crossEntropy, type LossResult, type Sequential, type StateDict } from './model';
import { createOptimizer, OPTIMIZERS, type OptimizerName } from './optim';
import { EVAL_BATCH, planRun } from './plan';
import { Rng } from './rng';
import { createSchedule, type ScheduleConfig } from './schedule';
import { collectBnStats, gradNorms } from './stats';
import { Tensor, sizeOf } from './tensor';

export interface TrainConfig {
  /** Spec text or preset name. */
  spec: string;
  /** Number of epochs (default 1), unless `steps` is given. */
  epochs?: number;
  /** Total optimizer steps (overrides epochs). */
  steps?: number;
  batchSize: number;
  optimizer: OptimizerName;
  lr: number;
  /** SGD momentum. */
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  betas?: [number, number];
  adamEps?: number;
  /** Defaults for every bn layer. */
  bn?: Partial<BnOptions>;
  noBn?: boolean;
  seed: number;
  shuffle: boolean;
  schedule?: ScheduleConfig;
  normalization?: Normalization;
  /** Emit a stats event every N steps (0: never). Default 50. */
  statsEvery?: number;
  /** Batch size for evaluation (default EVAL_BATCH). */
  evalBatchSize?: number;
  /** Drop the last partial batch of each epoch (torch's DataLoader drop_last). */
  dropLast?: boolean;
  /** Refuse runs estimated to need more bytes than this (default: plan.ts MAX_MEMORY_DEFAULT). */
  maxMemory?: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  spec: 'seed',
  epochs: 1,
  batchSize: 100,
  optimizer: 'adam',
  lr: 1e-3,
  seed: 0,
  shuffle: true,
  statsEvery: 50,
};

export interface CheckpointRequest {
  step: number;
  epoch: number;
  reason: 'epoch' | 'end' | 'cancelled' | 'failed';
}

export interface TrainOptions {
  dataset: Dataset;
  config: TrainConfig;
  onEvent?: (e: TrainEvent) => void;
  signal?: AbortSignal;
  /** Saves the model (only ever called with finite weights); returns where it went. */
  saveCheckpoint?: (model: Sequential, req: CheckpointRequest) => Promise<string>;
  /** Starting weights (e.g. --init), loaded strictly after building. */
  initState?: StateDict;
  /**
   * Resume after this many steps (with initState holding the weights then): the data order and
   * learning rates continue as in the uninterrupted run; optimizer moments start afresh.
   */
  startStep?: number;
  runId?: string;
  /** Called after each stats event, between steps (e.g. to measure the model); the step waits for it. */
  atStats?: (model: Sequential, at: { step: number; epoch: number }) => Promise<void>;
  /** Where to train (default cpu). */
  backend?: BackendName;
}

export interface TrainResult {
  done: DoneEvent;
  model: Sequential;
}

/** Throws UserError naming the first bad value. */
export function validateConfig(c: TrainConfig): void {
  const bad = (what: string, v: unknown, want: string) => new UserError(`${what} must be ${want}, got ${v}`);
  const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (c.steps !== undefined && !isInt(c.steps, 1)) throw bad('steps', c.steps, 'an integer ≥ 1');
  if (c.epochs !== undefined && !isInt(c.epochs, 1)) throw bad('epochs', c.epochs, 'an integer ≥ 1');
  if (!isInt(c.batchSize, 1)) throw bad('batch size', c.batchSize, 'an integer ≥ 1');
  if (!OPTIMIZERS.includes(c.optimizer)) throw bad('optimizer', c.optimizer, OPTIMIZERS.join(', '));
  if (!(c.lr >= 0 && Number.isFinite(c.lr))) throw bad('learning rate', c.lr, 'a finite number ≥ 0');
  if (c.momentum !== undefined && !(c.momentum >= 0 && c.momentum <= 1)) throw bad('momentum', c.momentum, 'in [0, 1]');
  if (c.weightDecay !== undefined && !(c.weightDecay >= 0 && Number.isFinite(c.weightDecay))) throw bad('weight decay', c.weightDecay, '≥ 0');
  const m = c.bn?.momentum;
  if (m !== undefined && m !== null && !(m >= 0 && m <= 1)) throw bad('bn momentum', m, 'in [0, 1] or none');
  if (c.bn?.eps !== undefined && !(c.bn.eps > 0)) throw bad('bn eps', c.bn.eps, '> 0');
  if (!isInt(c.seed, 0) || c.seed > 0xffffffff) throw bad('seed', c.seed, 'an integer in [0, 4294967295]');
  if (c.statsEvery !== undefined && !isInt(c.statsEvery, 0)) throw bad('stats interval', c.statsEvery, 'an integer ≥ 0');
}

const nextTick: () => Promise<void> =
  typeof setImmediate === 'function' ? () => new Promise((r) => setImmediate(r)) : () => new Promise((r) => setTimeout(r, 0));

/** Builds the model the config describes for this data set (init from `config.seed`). */
export function modelForConfig(config: TrainConfig, dataset: Dataset): Sequential {
  return buildModel(config.spec, {
    sampleShape: dataset.sampleShape,
    numClasses: dataset.numClasses,
    seed: config.seed,
    bn: config.bn,
    noBn: config.noBn,
  });
}

/** Steps whose loss a device backend keeps on the device before one readback (the CPU reads every step). */
const DEVICE_READ_WINDOW = 16;

/**
 * Trains on `o.backend` (default cpu; the active backend is restored afterwards). Kernels only
 * queue work; the trainer reads numbers back once per window of steps (every step on the CPU), at
 * the stats interval, and at the end of each epoch (eval, finite check, checkpoint).
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const previous = getBackend();
  setBackend(o.backend ?? 'cpu');
  try {
    return await trainOnActiveBackend(o);
  } finally {
    setBackend(previous);
  }
}

async function trainOnActiveBackend(o: TrainOptions): Promise<TrainResult> {
  const config = { ...DEFAULT_TRAIN_CONFIG, ...o.config };
  validateConfig(config);
  const { dataset, signal } = o;
  const backend = getBackend();
  const emit = o.onEvent ?? (() => {});
  const norm = config.normalization ?? DEFAULT_NORMALIZATION;
  const { stepsPerEpoch, totalSteps } = planRun(config, dataset);
  const model = modelForConfig(config, dataset).to(backend);
  if (o.initState) model.loadStateDict(o.initState);
  const n = dataset.train.count;
  const batch = config.batchSize;
  const totalEpochs = Math.ceil(totalSteps / stepsPerEpoch);
  const perStep = config.schedule?.per === 'step';
  const schedule = createSchedule(config.lr, config.schedule, perStep ? totalSteps : totalEpochs);
  const opt = createOptimizer(config.optimizer, model.params().map((p) => p.param), {
    lr: config.lr, momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay, betas: config.betas, eps: config.adamEps,
  });
  const shuffleRng = new Rng((config.seed ^ 0x5eed5eed) >>> 0);
  const sampleShape = dataset.sampleShape;
  const sampleSize = sizeOf(sampleShape);
  const xbuf = new Float32Array(batch * sampleSize);
  const labels = new Int32Array(batch);
  const indices = Int32Array.from({ length: n }, (_, i) => i);
  const statsEvery = config.statsEvery ?? 50;
  const window = backend === 'cpu' ? 1 : DEVICE_READ_WINDOW;
  const metrics = empty([2 * window]);
  const device = store();

  const startedAt = performance.now();
  emit({
    type: 'start', runId: o.runId ?? `run-${Date.now()}`, spec: model.describe(), dataset: dataset.source, backend: device.describe(),
    totalSteps, stepsPerEpoch, batchSize: batch, config: { ...config, spec: config.spec } as unknown as Record<string, unknown>,
  });

  const startStep = o.startStep ?? 0;
  if (!(Number.isInteger(startStep) && startStep >= 0 && startStep < totalSteps)) throw new UserError(`cannot resume at step ${startStep} of ${totalSteps}`);
  let step = 0, epoch = 0, lastCheckpoint: string | undefined, checkpointStep = -1;
  const finish = (reason: DoneEvent['reason'], message?: string): TrainResult => {
    const seconds = Math.round(performance.now() - startedAt) / 1000;
    const done: DoneEvent = { type: 'done', reason, step, ...(message ? { message } : {}), ...(lastCheckpoint ? { checkpoint: lastCheckpoint } : {}), seconds };
    emit(done);
    return { done, model };
  };
  const checkpoint = async (reason: CheckpointRequest['reason']) => {
    if (!o.saveCheckpoint || checkpointStep === step) return true;
    if (!(await allFinite(model)) || !(await evalForwardIsFinite(model, dataset.test, dataset.train, norm))) return false;
    lastCheckpoint = await o.saveCheckpoint(model, { step, epoch, reason });
    checkpointStep = step;
    emit({ type: 'checkpoint', step, dir: lastCheckpoint });
    return true;
  };
  const evaluateTest = async () => {
    if (dataset.test.count === 0) return;
    const r = await evaluate(model, dataset.test, norm, config.evalBatchSize ?? EVAL_BATCH);
    emit({ type: 'eval', step, epoch, split: 'test', loss: r.loss, accuracy: r.accuracy });
  };
  const diverged = (what: string) =>
    finish('diverged', `${what} (epoch ${epoch}); stopped${lastCheckpoint ? `, the last good checkpoint is ${lastCheckpoint}` : ' with no checkpoint written'}`);

  // Steps whose loss and accuracy are still in `metrics` on the device, read back together.
  let unread: { step: number; epoch: number; size: number; lr: number }[] = [];
  let windowStart = performance.now();
  /** Reads the window's losses and emits their step events; returns the first non-finite loss, if any. */
  const readSteps = async (): Promise<{ step: number; loss: number } | null> => {
    if (!unread.length) return null;
    const v = await readFloats(metrics);
    const now = performance.now();
    const seconds = (now - windowStart) / 1000;
    const samplesPerSec = seconds > 0 ? unread.reduce((s, u) => s + u.size, 0) / seconds : 0;
    windowStart = now;
    const steps = unread;
    unread = [];
    for (let k = 0; k < steps.length; k++) {
      const loss = v[2 * k];
      if (!Number.isFinite(loss)) return { step: steps[k].step, loss };
      emit({ type: 'step', step: steps[k].step, epoch: steps[k].epoch, loss, accuracy: v[2 * k + 1] / steps[k].size, lr: steps[k].lr, samplesPerSec });
    }
    return null;
  };

  try {
    model.train();
    let x: Tensor | undefined, y: Tensor | undefined, loss: LossResult | undefined;
    while (step < totalSteps) {
      epoch++;
      opt.lr = schedule.lrAt(perStep ? step : epoch - 1);
      epochOrder(indices, config.shuffle ? shuffleRng : null);
      let b = 0;
      if (step + stepsPerEpoch <= startStep) {
        step += stepsPerEpoch; // an epoch the resumed run already did (its shuffle was drawn above)
        continue;
      }
      for (; step < startStep; b++) step++;
      for (; b < stepsPerEpoch && step < totalSteps; b++) {
        if (signal?.aborted) {
          const bad = await readSteps();
          if (bad) return diverged(`the loss became ${bad.loss} in step ${bad.step}`);
          await checkpoint('cancelled');
          return finish('cancelled', 'training was cancelled');
        }
        if (perStep) opt.lr = schedule.lrAt(step);
        const from = b * batch, to = Math.min(n, from + batch), m = to - from;
        gatherBatch(dataset.train, sampleShape, indices, from, to, norm, xbuf, labels);
        x = uploadInto(x, [m, ...sampleShape], xbuf.subarray(0, m * sampleSize));
        y = uploadInto(y, [m], labels.subarray(0, m));
        const logits = model.forward(x);
        loss = crossEntropy(logits, y, true, metrics, unread.length, loss);
        unread.push({ step: step + 1, epoch, size: m, lr: opt.lr });
        const wantStats = statsEvery > 0 && (step + 1) % statsEvery === 0;
        const endOfEpoch = b === stepsPerEpoch - 1 || step + 1 === totalSteps;
        if (unread.length === window || wantStats || endOfEpoch) {
          const bad = await readSteps();
          if (bad) return diverged(`the loss became ${bad.loss} in step ${bad.step}`);
        }
        const bn = wantStats ? collectBnStats(model) : null;
        model.backward(loss.dLogits!);
        const grads = wantStats ? gradNorms(model) : null;
        opt.step();
        device.flush();
        step++;
        if (bn && grads) {
          emit({ type: 'stats', step, epoch, bn: await bn, gradNorms: await grads });
          await o.atStats?.(model, { step, epoch });
        }
        await nextTick();
      }
      if (b === stepsPerEpoch || step === totalSteps) {
        if (!(await allFinite(model))) return diverged(`the weights became non-finite after step ${step}`);
        await evaluateTest();
        if (!(await checkpoint(step === totalSteps ? 'end' : 'epoch'))) return diverged(`the eval-mode outputs on test samples became non-finite after step ${step}`);
      }
    }
    return finish('completed');
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    // Keep the steps done so far, unless saving is what failed.
    if (!(e instanceof WriteError)) await checkpoint('failed').catch(() => undefined);
    return finish('failed', e.message);
  }
}

/** The sample order of one epoch: file order, or a fresh permutation drawn from `rng`. */
export function epochOrder(indices: Int32Array, rng: Rng | null): Int32Array {
  for (let i = 0; i < indices.length; i++) indices[i] = i;
  return rng ? rng.shuffle(indices) : indices;
}

async function allFinite(model: Sequential): Promise<boolean> {
  for (const { tensor } of (await model.readStateDict()).values()) for (const v of tensor.data) if (!Number.isFinite(v)) return false;
  return true;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  count: number;
}

/** Runs `fn` on consecutive eval-mode batches of a split, in order (restores the model's mode). */
function inEvalBatches(
  model: Sequential, split: Split, norm: Normalization, batch: number,
  fn: (logits: Tensor, labels: Tensor, from: number) => void,
): void {
  const sampleShape = model.inputShape;
  const sampleSize = sizeOf(sampleShape);
  const xbuf = new Float32Array((batch + 1) * sampleSize);
  const labels = new Int32Array(batch + 1);
  const identity = Int32Array.from({ length: Math.min(split.count, batch + 1) }, (_, i) => i);
  const wasTraining = model.training;
  let x: Tensor | undefined, y: Tensor | undefined;
  model.eval();
  try {
    for (let from = 0, to = 0; from < split.count; from = to) {
      to = Math.min(split.count, from + batch);
      if (split.count - to === 1) to++; // a last batch of 1 would break batch-statistics BN (track=false): it joins this one
      const m = to - from;
      const sub: Split = { count: m, pixels: split.pixels.subarray(from * sampleSize, to * sampleSize), labels: split.labels.subarray(from, to) };
      gatherBatch(sub, sampleShape, identity, 0, m, norm, xbuf, labels);
      x = uploadInto(x, [m, ...sampleShape], xbuf.subarray(0, m * sampleSize));
      y = uploadInto(y, [m], labels.subarray(0, m));
      fn(model.forward(x), y, from);
    }
  } finally {
    model.training = wasTraining;
  }
}

/** Mean loss and accuracy of `model` in eval mode over a split (one readback at the end). */
export async function evaluate(model: Sequential, split: Split, norm: Normalization, batch = EVAL_BATCH): Promise<EvalResult> {
  const metrics = empty([2 * (Math.ceil(split.count / batch) + 1)]);
  const sizes: number[] = [];
  let loss: LossResult | undefined;
  inEvalBatches(model, split, norm, batch, (logits, labels) => {
    loss = crossEntropy(logits, labels, false, metrics, sizes.length, loss);
    sizes.push(labels.size);
  });
  const v = await readFloats(metrics);
  let lossSum = 0, correct = 0;
  sizes.forEach((size, i) => {
    lossSum += v[2 * i] * size;
    correct += v[2 * i + 1];
  });
  return { loss: lossSum / split.count, accuracy: correct / split.count, count: split.count };
}

/** Eval-mode logits [count, classes] for raw samples (0..255 scale, NCHW per sample), as a host tensor. */
export async function predict(model: Sequential, pixels: Uint8Array | Float32Array, count: number, norm: Normalization, batch = EVAL_BATCH): Promise<Tensor> {
  const classes = sizeOf(model.outputShape);
  const out = new Tensor([count, classes]);
  const pending: Promise<void>[] = [];
  inEvalBatches(model, { count, pixels, labels: new Uint8Array(count) }, norm, batch, (logits, _labels, from) => {
    pending.push(readFloats(logits).then((v) => out.data.set(v, from * classes)));
  });
  await Promise.all(pending);
  return out;
}
