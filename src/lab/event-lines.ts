/** The words for a run's start, end and duration, the same in `bnlab train`, BN Lab's output channel, notifications and summary tables. */
import type { DoneEvent, StartEvent } from '../engine/events';

/** Seconds as m:ss (or h:mm:ss). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A difference with its sign, 3 decimals: "+0.178", "-0.002". */
export const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(3)}`;

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
