/**
 * One clock for every live readout of training (status bar, progress notification): fires at
 * most every TICK_MS while events arrive, so each readout shows the same step and loss at the
 * same moment.
 */
import * as vscode from 'vscode';
import type { TrainingManager } from './manager';

const TICK_MS = 250;

export function progressTicks(training: TrainingManager): { onTick: vscode.Event<void> } & vscode.Disposable {
  const emitter = new vscode.EventEmitter<void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const later = () =>
    (timer ??= setTimeout(() => {
      timer = undefined;
      emitter.fire();
    }, TICK_MS));
  const subs = vscode.Disposable.from(training.onEvent(later), training.onDidChangeRuns(later));
  return {
    onTick: emitter.event,
    dispose: () => {
      if (timer) clearTimeout(timer);
      subs.dispose();
      emitter.dispose();
    },
  };
}

/** The live readout of a run, worded once for the status bar and the notification. */
export const lossText = (loss: number) => `loss ${Number.isFinite(loss) ? loss.toFixed(3) : '–'}`;
