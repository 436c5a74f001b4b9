/** The status-bar item: live loss and steps/s of the newest running run; click opens the dashboard. */
import * as vscode from 'vscode';
import type { TrainingManager } from './manager';
import { lossText } from './ticks';

/** Redrawn on `onTick`, the clock the progress notification follows too (same loss at the same moment). */
export function trainingStatusBar(training: TrainingManager, onTick: vscode.Event<void>, openCommand: string): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('bnLab.training', vscode.StatusBarAlignment.Left, 10);
  item.name = 'BN Lab Training';
  item.command = openCommand;
  const update = () => {
    const runs = training.all();
    const run = training.active.at(-1) ?? runs.at(-1);
    if (!run) return item.hide();
    const loss = lossText(run.loss);
    if (run.running) {
      item.text = `$(loading~spin) BN Lab: ${loss} · ${run.stepsPerSec.toFixed(1)} steps/s${run.backend ? ` · ${run.backend}` : ''}`;
      item.tooltip = `${run.label}: step ${run.step}/${run.totalSteps || '?'}${run.device ? ` on ${run.device}` : ''}${training.active.length > 1 ? ` (${training.active.length} runs)` : ''}.${run.backendNote ? ` ${run.backendNote}.` : ''} Click to open the dashboard.`;
    } else {
      item.text = `$(${run.done?.reason === 'completed' ? 'check' : 'circle-slash'}) BN Lab: ${loss}`;
      item.tooltip = `${run.label}: ${run.done?.reason ?? 'finished'} at step ${run.step}${run.done?.message ? ` (${run.done.message})` : ''}. Click to open the dashboard.`;
    }
    item.show();
  };
  return vscode.Disposable.from(item, onTick(update));
}
