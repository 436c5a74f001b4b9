import { join } from 'node:path';
import * as vscode from 'vscode';
import { deepChecks } from '../lab/deep-checks';
import { NOTEBOOK_TYPE } from '../lab/notebook-format';
import { registerCommands } from './commands';
import { DashboardViewProvider } from './dashboard-view';
import { LabController, type Exporter, type Recalibrator } from './notebook/controller';
import { registerLabDiagnostics } from './notebook/diagnostics';
import { LabNotebookSerializer } from './notebook/serializer';
import { trainingContext } from './training/context';
import { feedDashboard } from './training/dashboard-feed';
import { GpuRunner } from './training/gpu-runner';
import { TrainingManager } from './training/manager';
import { trainingStatusBar } from './training/status';
import { progressTicks } from './training/ticks';
import { recordedLog, said, type Said } from './voice';

/** What `activate` returns: lets integration tests (and other extensions) observe BN Lab. */
export interface BnLabApi {
  readonly dashboard: DashboardViewProvider;
  readonly log: vscode.LogOutputChannel;
  readonly training: TrainingManager;
  readonly controller: LabController;
  readonly gpuRunner: GpuRunner;
  /** Context keys BN Lab has set (for `when` clauses), as last set. */
  readonly contextKeys: ReadonlyMap<string, unknown>;
  /** The latest output channel lines and notifications. */
  readonly said: readonly Said[];
}

/** ONNX export and validation, loaded on first use (onnxruntime-web is large). */
const exporter: Exporter = async ({ checkpointDir, outFile, validate }) => {
  const { exportOnnx, formatExportReport } = await import('../onnx');
  const r = await exportOnnx({ checkpointDir, outFile, validate });
  // The same report as `bnlab export` prints; it ends in "wrote FILE …" or "did not write FILE: …", the headline.
  const text = formatExportReport(r);
  return { ok: r.written && r.passed, text, headline: text.split('\n').at(-1)! };
};
const validator = async (onnxFile: string, checkpointDir: string) => {
  const { validateOnnx, formatValidateReport } = await import('../onnx');
  // As `bnlab validate` prints it; the notification gives the result, then the note of a mismatched pair.
  const r = await validateOnnx({ onnxFile, checkpointDir });
  const lines = formatValidateReport(r);
  return { ok: r.passed, text: lines.join('\n'), headline: [lines.at(-1), ...lines.slice(0, -1)].join(' ') };
};
const recalibrator: Recalibrator = async (req) => {
  const { recalibrateCheckpoint, formatRecalibration } = await import('../engine/recalibrate-checkpoint');
  return { ok: true, text: formatRecalibration(await recalibrateCheckpoint(req)) };
};
const exportedFrom = async (onnxFile: string) => (await import('../onnx')).exportedFrom(onnxFile);

/** The runs of this window, stopped (with a checkpoint each) when VS Code closes it. */
let activeTraining: TrainingManager | undefined;

export function activate(context: vscode.ExtensionContext): BnLabApi {
  const log = recordedLog(vscode.window.createOutputChannel('BN Lab', { log: true }));
  const dashboard = new DashboardViewProvider(context.extensionUri, log);
  const root = context.extensionUri.fsPath;
  const gpuRunner = new GpuRunner(context.extensionUri, log, () => dashboard.whenSettled());
  const training = new TrainingManager(
    {
      workerScript: join(root, 'dist', 'worker', 'train-worker.js'),
      digitsPath: join(root, 'media', 'digits.bin'),
      runsDir: join((context.storageUri ?? context.globalStorageUri).fsPath, 'runs'),
    },
    log,
    context.workspaceState,
    gpuRunner,
  );
  const contextKeys = new Map<string, unknown>();
  const ticks = progressTicks(training);
  const controller = new LabController(training, deepChecks, exporter, recalibrator, log, context.extension.id);
  context.subscriptions.push(
    log,
    dashboard,
    training,
    gpuRunner,
    controller,
    vscode.window.registerWebviewViewProvider(DashboardViewProvider.viewId, dashboard, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.window.registerWebviewPanelSerializer(DashboardViewProvider.panelType, dashboard),
    trainingContext(training, contextKeys),
    vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, new LabNotebookSerializer(), { transientOutputs: false }),
    registerLabDiagnostics(deepChecks),
    feedDashboard(training, dashboard),
    ticks,
    trainingStatusBar(training, ticks.onTick, 'bnLab.openDashboard'),
    ...registerCommands({ log, dashboard, training, onTick: ticks.onTick, controller, exporter, validator, exportedFrom, recalibrator }),
  );
  activeTraining = training;
  log.info(`BN Lab ${context.extension.packageJSON.version} activated`);
  return { dashboard, log, training, controller, contextKeys, gpuRunner, said };
}

/** Window closing or extension host stopping: every run stops at its next step and saves, within VS Code's few seconds. */
export async function deactivate(): Promise<void> {
  const stopping = activeTraining?.stop();
  activeTraining = undefined;
  if (stopping) await Promise.race([stopping, new Promise((r) => setTimeout(r, 4000))]);
}
