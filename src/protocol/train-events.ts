/**
 * Runtime schemas for the trainer's event stream (src/engine/events.ts is the contract).
 * The compile-time checks at the bottom fail the type check if the two drift apart.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini ships without messages: load English ones only (keeps the webview bundles small).
z.config(en());
import type { TrainEvent } from '../engine/events';

/**
 * Any number, NaN and ±Infinity included (a diverging run reports them). JSON turns non-finite
 * numbers into null on the way through postMessage, so null reads back as NaN.
 */
export const num = z.pipe(
  z.transform((v: unknown) => (v === null ? NaN : v)),
  z.custom<number>((v) => typeof v === 'number', 'expected a number'),
);
const int = z.int().check(z.nonnegative());
const nums = z.array(num);

export const histogramSchema = z.object({ min: num, max: num, counts: z.array(z.number().check(z.nonnegative())) });

export const startEventSchema = z.object({
  type: z.literal('start'),
  runId: z.string().check(z.minLength(1)),
  spec: z.string(),
  dataset: z.string(),
  backend: z.string(),
  totalSteps: int,
  stepsPerEpoch: int,
  batchSize: int,
  config: z.record(z.string(), z.unknown()),
});

export const stepEventSchema = z.object({
  type: z.literal('step'),
  step: int,
  epoch: int,
  loss: num,
  accuracy: num,
  lr: num,
  samplesPerSec: num,
});

export const evalEventSchema = z.object({
  type: z.literal('eval'),
  step: int,
  epoch: int,
  split: z.enum(['train', 'test']),
  loss: num,
  accuracy: num,
});

export const bnLayerStatsSchema = z.object({
  layer: int,
  channels: int,
  batchMean: nums,
  batchVar: nums,
  runningMean: nums,
  runningVar: nums,
  gamma: z.nullable(nums),
  beta: z.nullable(nums),
  histBefore: histogramSchema,
  histAfter: histogramSchema,
  ghost: z.optional(z.object({ mean: z.array(nums), variance: z.array(nums) })),
  renorm: z.optional(z.object({ r: nums, d: nums })),
});

export const statsEventSchema = z.object({
  type: z.literal('stats'),
  step: int,
  epoch: int,
  bn: z.array(bnLayerStatsSchema),
  gradNorms: z.array(z.object({ layer: int, kind: z.string(), norm: num })),
});

export const modesEventSchema = z.object({ type: z.literal('modes'), step: int, epoch: int, samples: int, eval: num, train: num });

export const landscapeEventSchema = z.object({
  type: z.literal('landscape'),
  step: int,
  epoch: int,
  samples: int,
  loss: num,
  gradNorm: num,
  points: z.array(z.object({ eta: num, loss: num, gradChange: num })),
});

export const checkpointEventSchema = z.object({ type: z.literal('checkpoint'), step: int, dir: z.string() });

export const doneEventSchema = z.object({
  type: z.literal('done'),
  reason: z.enum(['completed', 'cancelled', 'diverged', 'failed']),
  step: int,
  message: z.optional(z.string()),
  checkpoint: z.optional(z.string()),
  seconds: z.optional(num),
});

export const trainEventSchema = z.discriminatedUnion('type', [
  startEventSchema,
  stepEventSchema,
  evalEventSchema,
  statsEventSchema,
  modesEventSchema,
  landscapeEventSchema,
  checkpointEventSchema,
  doneEventSchema,
]);

// Compile-time: the schema's output and the contract must be mutually assignable.
type Parsed = z.output<typeof trainEventSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesContract: Same<Parsed, TrainEvent> = true;
void schemaMatchesContract;
