import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { DashboardViewProvider } from './dashboard-view';

/** What `activate` returns: lets integration tests (and other extensions) observe BN Lab. */
export interface BnLabApi {
  readonly dashboard: DashboardViewProvider;
  readonly log: vscode.LogOutputChannel;
}

export function activate(context: vscode.ExtensionContext): BnLabApi {
  const log = vscode.window.createOutputChannel('BN Lab', { log: true });
  const dashboard = new DashboardViewProvider(context.extensionUri);
  context.subscriptions.push(
    log,
    vscode.window.registerWebviewViewProvider(DashboardViewProvider.viewId, dashboard, {
      webviewOptions: { retainContextWhenHidden: true },
    }),
    ...registerCommands({ log, dashboard }),
  );
  log.info(`BN Lab ${context.extension.packageJSON.version} activated`);
  return { dashboard, log };
}

export function deactivate(): void {}
