/**
 * What BN Lab tells the user, in the CLI's words: output channel lines and notifications. Both are recorded (the
 * latest few hundred) so that tests can check they speak with one voice.
 */
import * as vscode from 'vscode';

export type Level = 'info' | 'warn' | 'error';
export interface Said {
  to: 'log' | 'notification';
  level: Level;
  text: string;
}

const KEPT = 500;
const recent: Said[] = [];
/** The latest lines logged and notifications shown, oldest first. */
export const said: readonly Said[] = recent;

function record(s: Said): void {
  recent.push(s);
  if (recent.length > KEPT) recent.splice(0, recent.length - KEPT);
}

/** The output channel, each line it logs recorded. */
export function recordedLog(log: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(log, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (key === 'info' || key === 'warn' || key === 'error')
        return (text: string, ...args: unknown[]) => {
          record({ to: 'log', level: key, text });
          return value.call(target, text, ...args);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Shows a notification (recorded). */
export function notify(level: Level, text: string, ...actions: string[]): Thenable<string | undefined> {
  record({ to: 'notification', level, text });
  const show = level === 'error' ? vscode.window.showErrorMessage : level === 'warn' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  return show(text, ...actions);
}
