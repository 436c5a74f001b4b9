/**
 * Messages between the extension host and a training runner: the Node worker thread
 * (dist/worker/train-worker.js) or the WebGPU runner webview (dist/webview/gpu-runner.js), over one
 * transport (post / onMessage / terminate). Host → runner: `start` once, then maybe `stop`; the
 * webview also gets the data set's bytes with `start` and answers to its checkpoint requests.
 * Runner → host: trainer events, the BN train/eval-mode accuracies, `stopping` when a stop
 * arrives, `backendFailed` when the GPU gave out (the host goes on on the CPU), then `finished`.
 * Both sides validate what they receive.
 */
import * as z from 'zod/mini';
import type { TrainConfig } from '../engine/trainer';
import { num, trainEventSchema } from './train-events';

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes');
const pixels = z.custom<Uint8Array | Float32Array>((v) => v instanceof Uint8Array || v instanceof Float32Array, 'expected uint8 or float32 pixels');
const splitSchema = z.object({ count: z.number(), pixels, labels: bytes });

/** A data set as the webview receives it (Dataset, with byte arrays). */
export const datasetSchema = z.object({
  source: z.string(),
  sampleShape: z.array(z.number()),
  numClasses: z.number(),
  classNames: z.optional(z.array(z.string())),
  train: splitSchema,
  test: splitSchema,
});

export const toWorkerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    runId: z.string().check(z.minLength(1)),
    /** The engine's TrainConfig (validated again by the trainer). */
    config: z.custom<TrainConfig>((v) => typeof v === 'object' && v !== null && typeof (v as { spec?: unknown }).spec === 'string', 'expected a TrainConfig'),
    data: z.string(),
    digitsPath: z.string(),
    outDir: z.string().check(z.minLength(1)),
    /** After training, measure test accuracy with BN in eval mode and in train mode. */
    evalModes: z.boolean(),
    /** At each stats step, measure the loss landscape along the gradient at these step sizes (on the first training batch). */
    landscape: z.optional(z.array(z.number().check(z.positive()))),
    /** Go on from a checkpoint written after `step` steps (a fallback from the GPU). */
    resume: z.optional(z.object({ dir: z.string(), step: z.number() })),
    /** The data set itself (the webview runner cannot read files). */
    dataset: z.optional(datasetSchema),
    /** Threads for the CPU kernels (absent or 0: every available core). */
    cpuThreads: z.optional(z.int().check(z.minimum(0))),
  }),
  z.object({ type: z.literal('stop') }),
  /** The host wrote (or failed to write) the checkpoint the webview asked for. */
  z.object({ type: z.literal('checkpointSaved'), id: z.number(), dir: z.optional(z.string()), error: z.optional(z.string()) }),
  /** Tests: destroy the GPU device mid-run, as a driver reset would. */
  z.object({ type: z.literal('loseDevice') }),
]);

export const fromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), event: trainEventSchema }),
  z.object({ type: z.literal('modes'), eval: num, train: num }),
  /** The worker received `stop` after finishing `step` steps; it stops before the next one ends. */
  z.object({ type: z.literal('stopping'), step: z.number() }),
  /** The webview asks the host to write a checkpoint (safetensors bytes; the host writes model.json) into the run's folder. */
  z.object({ type: z.literal('saveCheckpoint'), id: z.number(), weights: bytes, spec: z.string(), step: z.number(), epoch: z.number() }),
  /** The GPU backend could not start or failed mid-run; `reason` is one line for the user. */
  z.object({ type: z.literal('backendFailed'), reason: z.string() }),
  z.object({ type: z.literal('finished') }),
]);

export type ToWorker = z.output<typeof toWorkerSchema>;
export type FromWorker = z.output<typeof fromWorkerSchema>;
export type StartMessage = Extract<ToWorker, { type: 'start' }>;

export function parseWorkerMessage<T>(schema: z.ZodMiniType<T>, raw: unknown): { ok: true; message: T } | { ok: false; reason: string } {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  return { ok: false, reason: `invalid worker message at ${issue.path.join('.') || '(root)'}: ${issue.message}` };
}

/** Webview runner → host: ready once its script listens; the adapter it found (answer to `probe`); a run's message. */
export const fromRunnerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('adapter'), ok: z.boolean(), description: z.string(), software: z.boolean() }),
  z.object({ type: z.literal('run'), runId: z.string(), message: z.unknown() }),
]);

/** Host → webview runner: `probe` asks for the adapter; `run` carries one run's ToWorker message. */
export const toRunnerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('probe') }),
  z.object({ type: z.literal('run'), runId: z.string(), message: z.unknown() }),
]);

export type FromRunner = z.output<typeof fromRunnerSchema>;
export type ToRunner = z.output<typeof toRunnerSchema>;
