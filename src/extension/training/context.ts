/** The `bnLab.training` context key: true while a run trains (package.json `when` clauses hide Stop otherwise). */
import * as vscode from 'vscode';
import type { TrainingManager } from './manager';

export const TRAINING_CONTEXT_KEY = 'bnLab.training';

/** Keeps the context key in step with the runs; `values` mirrors what was set (tests read it). */
export function trainingContext(training: TrainingManager, values: Map<string, unknown>): vscode.Disposable {
  const update = () => {
    const now = training.active.length > 0;
    if (values.get(TRAINING_CONTEXT_KEY) === now) return;
    values.set(TRAINING_CONTEXT_KEY, now);
    void vscode.commands.executeCommand('setContext', TRAINING_CONTEXT_KEY, now);
  };
  update();
  return training.onDidChangeRuns(update);
}
