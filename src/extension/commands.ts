import * as vscode from 'vscode';
import type { DashboardViewProvider } from './dashboard-view';

export interface CommandDeps {
  log: vscode.LogOutputChannel;
  dashboard: DashboardViewProvider;
}

/** What a command that cannot act yet returns (and tells the user), instead of faking success. */
export interface Unavailable {
  status: 'unavailable';
  message: string;
}

/** Command ids, as contributed in package.json. */
export const commandIds = {
  train: 'bnLab.train',
  stop: 'bnLab.stop',
  compare: 'bnLab.compare',
  exportOnnx: 'bnLab.exportOnnx',
  validateOnnx: 'bnLab.validateOnnx',
  newNotebook: 'bnLab.newNotebook',
  openDashboard: 'bnLab.openDashboard',
} as const;

function notAvailableYet(deps: CommandDeps, title: string): () => Promise<Unavailable> {
  return async () => {
    const message = `BN Lab: ${title} is not available yet.`;
    deps.log.warn(message);
    void vscode.window.showWarningMessage(message);
    return { status: 'unavailable', message };
  };
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const handlers: Record<string, (...args: unknown[]) => unknown> = {
    [commandIds.train]: notAvailableYet(deps, 'Train'),
    [commandIds.stop]: notAvailableYet(deps, 'Stop Training'),
    [commandIds.compare]: notAvailableYet(deps, 'Compare BN Settings'),
    [commandIds.exportOnnx]: notAvailableYet(deps, 'Export ONNX (BN folded)'),
    [commandIds.validateOnnx]: notAvailableYet(deps, 'Validate ONNX'),
    [commandIds.newNotebook]: notAvailableYet(deps, 'New Lab Notebook'),
    [commandIds.openDashboard]: () => deps.dashboard.reveal(),
  };
  return Object.entries(handlers).map(([id, handler]) => vscode.commands.registerCommand(id, handler));
}
