/** Streams training events to the dashboard: batched per run every FLUSH_MS; a (re)loaded dashboard gets every run's history. */
import * as vscode from 'vscode';
import type { TrainEvent } from '../../engine/events';
import { notification } from '../../protocol/messages';
import type { DashboardViewProvider } from '../dashboard-view';
import type { Run, TrainingManager } from './manager';

const FLUSH_MS = 100;

export function feedDashboard(training: TrainingManager, dashboard: DashboardViewProvider): vscode.Disposable {
  const pending = new Map<Run, TrainEvent[]>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = () => notification('dashboard/status', { training: training.active.length > 0 });
  const flush = () => {
    timer = undefined;
    for (const [run, events] of pending) void dashboard.post(notification('run/events', { runId: run.runId, label: run.label, seq: run.seq, group: run.group, events }));
    pending.clear();
  };
  return vscode.Disposable.from(
    training.onEvent(({ run, event }) => {
      const list = pending.get(run) ?? [];
      list.push(event);
      pending.set(run, list);
      timer ??= setTimeout(flush, FLUSH_MS);
    }),
    training.onDidChangeRuns(() => void dashboard.post(status())),
    dashboard.onDidBecomeReady((webview) => {
      for (const run of training.all()) void dashboard.post(notification('run/events', { runId: run.runId, label: run.label, seq: run.seq, group: run.group, events: run.events }), webview);
      void dashboard.post(status(), webview);
    }),
    dashboard.onCommand((cmd) => {
      if (cmd.method === 'dashboard/clear') training.forgetFinished();
      else if (cmd.method === 'dashboard/forget') training.forgetFinished(cmd.params.runId);
    }),
    { dispose: () => timer && clearTimeout(timer) },
  );
}
