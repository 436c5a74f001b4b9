/**
 * The rich output of a lab cell (mime `application/vnd.bnlab.run+json`): a compact, already
 * downsampled summary of one or more runs that the notebook renderer draws. The controller
 * replaces it while training runs, so the output updates live; it is saved in the `.bnlab` file.
 */
import * as z from 'zod/mini';
import { num } from './train-events';

export const RUN_OUTPUT_MIME = 'application/vnd.bnlab.run+json';

const series = z
  .object({ step: z.array(z.number()), value: z.array(num) })
  .check(z.refine((s) => s.step.length === s.value.length, 'step and value must have the same length'));

export const bnRowSchema = z.object({
  layer: z.int().check(z.nonnegative()),
  channels: z.int().check(z.nonnegative()),
  /** Means over channels of the per-channel statistics at the last stats step. */
  batchMean: num,
  batchVar: num,
  runningMean: num,
  runningVar: num,
  gamma: z.nullable(num),
  beta: z.nullable(num),
});

export const runOutputSchema = z.object({
  runId: z.string().check(z.minLength(1)),
  label: z.string(),
  /** The run's number in this session (its colour and "#n", the same in the dashboard). */
  seq: z.optional(z.int().check(z.positive())),
  status: z.enum(['running', 'completed', 'cancelled', 'diverged', 'failed']),
  message: z.optional(z.string()),
  spec: z.string(),
  dataset: z.string(),
  backend: z.string(),
  step: z.int().check(z.nonnegative()),
  totalSteps: z.int().check(z.nonnegative()),
  stepsPerSec: num,
  trainLoss: series,
  /** Accuracy on the last training batch. */
  trainAccuracy: z.optional(num),
  testAccuracy: series,
  bn: z.array(bnRowSchema),
  /** Step of the last stats event (absent before the first): with `bn` empty it means the model has no BN layers. */
  statsStep: z.optional(z.int().check(z.nonnegative())),
  /** Test accuracy with BN in eval mode (running statistics) vs train mode (batch statistics). */
  modes: z.optional(z.object({ eval: z.optional(num), train: z.optional(num) })),
  /** The same two accuracies over the run, at each stats step, on the first `samples` test samples. */
  modesCurve: z.optional(z.object({ samples: z.int().check(z.positive()), eval: series, train: series })),
  /**
   * The loss landscape (Santurkar et al. 2018) at each stats step, on the first `samples` training samples: L(w), and
   * the minimum and maximum over the step sizes η of L(w − η·g) and of ‖∇L(w − η·g) − ∇L(w)‖.
   */
  landscape: z.optional(
    z.object({ samples: z.int().check(z.positive()), stepSizes: z.array(z.number()), loss: series, lossMin: series, lossMax: series, gradChangeMin: series, gradChangeMax: series }),
  ),
  checkpoint: z.optional(z.string()),
  /** Wall-clock seconds of the run (its done event). */
  seconds: z.optional(num),
  /** A run of a `sweep` cell: the line it belongs to in the chart of test accuracy vs batch size, and its batch size. */
  sweep: z.optional(z.object({ series: z.string(), batch: z.int().check(z.positive()) })),
});

export const notebookOutputSchema = z.object({ version: z.literal(1), runs: z.array(runOutputSchema) });

export type BnRow = z.output<typeof bnRowSchema>;
export type RunOutput = z.output<typeof runOutputSchema>;
export type NotebookOutput = z.output<typeof notebookOutputSchema>;

export function parseNotebookOutput(raw: unknown): { ok: true; value: NotebookOutput } | { ok: false; reason: string } {
  const r = notebookOutputSchema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return { ok: false, reason: `invalid BN Lab output at ${issue.path.join('.') || '(root)'}: ${issue.message}` };
}
