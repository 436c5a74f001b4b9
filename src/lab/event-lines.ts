/** The words for a run's start and end, the same in `bnlab train` and in BN Lab's output channel and notifications. */
import type { DoneEvent, StartEvent } from '../engine/events';

/** `training seed on digits: 80 steps of batch 100 (80 per epoch)`. */
export const startLine = (e: StartEvent) => `training ${e.spec} on ${e.dataset}: ${e.totalSteps} steps of batch ${e.batchSize} (${e.stepsPerEpoch} per epoch)`;

/** `done: 80 steps; checkpoint in DIR`, or why the run stopped and where its last good checkpoint is. */
export function doneLine(e: DoneEvent, stoppedBy = 'request'): string {
  if (e.reason === 'completed') return `done: ${e.step} steps; checkpoint in ${e.checkpoint ?? '(none)'}`;
  const why = e.reason === 'cancelled' ? `stopped by ${stoppedBy} after ${e.step} steps` : `${e.reason}: ${e.message ?? ''}`;
  // A diverged run's message already names its last good checkpoint.
  const where = e.reason === 'diverged' ? '' : e.checkpoint ? `; the last good checkpoint is ${e.checkpoint}` : '; no checkpoint was written';
  return `training ${why}${where}`;
}
