import * as vscode from 'vscode';

/** A model and data set that train in seconds: 6 steps of batch 50. */
export const TINY = { model: 'conv(4,3) bn relu maxpool(2) flatten linear(16) bn relu linear', dataset: 'synthetic:shapes,n=300,test=60', batchSize: 50, epochs: 1, statsInterval: 2 };

const config = () => vscode.workspace.getConfiguration('bnLab');

/** Runs `fn` with these bnLab.* user settings, then removes them again. */
export async function withSettings<T>(values: Record<string, unknown>, fn: () => Thenable<T>): Promise<T> {
  for (const [k, v] of Object.entries(values)) await config().update(k, v, vscode.ConfigurationTarget.Global);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(values)) await config().update(k, undefined, vscode.ConfigurationTarget.Global);
  }
}
