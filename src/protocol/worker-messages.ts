/**
 * Messages between the extension host and the training worker thread (dist/worker/train-worker.js).
 * Host → worker: `start` once, then maybe `stop`. Worker → host: trainer events, the BN
 * train/eval-mode accuracies, `stopping` when a stop arrives, then `finished`. Both sides validate what they receive.
 */
import * as z from 'zod/mini';
import type { TrainConfig } from '../engine/trainer';
import { num, trainEventSchema } from './train-events';

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
    /** Threads for the CPU kernels (absent or 0: every available core). */
    cpuThreads: z.optional(z.int().check(z.minimum(0))),
  }),
  z.object({ type: z.literal('stop') }),
]);

export const fromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), event: trainEventSchema }),
  z.object({ type: z.literal('modes'), eval: num, train: num }),
  /** The worker received `stop` after finishing `step` steps; it stops before the next one ends. */
  z.object({ type: z.literal('stopping'), step: z.number() }),
  z.object({ type: z.literal('finished') }),
]);

export type ToWorker = z.output<typeof toWorkerSchema>;
export type FromWorker = z.output<typeof fromWorkerSchema>;

export function parseWorkerMessage<T>(schema: z.ZodMiniType<T>, raw: unknown): { ok: true; message: T } | { ok: false; reason: string } {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  return { ok: false, reason: `invalid worker message at ${issue.path.join('.') || '(root)'}: ${issue.message}` };
}
