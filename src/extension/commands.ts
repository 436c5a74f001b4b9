import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { METRICS_FILE } from '../cli/out-path';
import { exportPytorch } from '../export/pytorch-files';
import { parseRunEvents } from '../lab/run-file';
import type { DoneEvent } from '../engine/events';
import { bnLabel, type ExperimentConfig } from '../lab/config';
import { deepChecks } from '../lab/deep-checks';
import { NOTEBOOK_TYPE } from '../lab/notebook-format';
import { doneLine } from '../lab/event-lines';
import { describeRun } from '../lab/run-name';
import { validateSettings } from '../lab/settings';
import { starterNotebook } from '../lab/starter';
import { whenBnFailsNotebook } from '../lab/when-bn-fails';
import type { DashboardViewProvider } from './dashboard-view';
import type { Exporter, LabController, Recalibrator, Report } from './notebook/controller';
import { toNotebookData } from './notebook/serializer';
import { defaultSettings, readSettings } from './settings';
import { runTag, type Run, type TrainingManager } from './training/manager';
import { lossText } from './training/ticks';
import { notify } from './voice';

export interface CommandDeps {
  log: vscode.LogOutputChannel;
  dashboard: DashboardViewProvider;
  training: TrainingManager;
  /** The clock of the status bar: the notification reports on it too. */
  onTick: vscode.Event<void>;
  controller: LabController;
  exporter: Exporter;
  recalibrator: Recalibrator;
  validator: (onnxFile: string, checkpointDir: string) => Promise<Report>;
  /** The checkpoint an ONNX file records it was exported from. */
  exportedFrom: (onnxFile: string) => Promise<string | undefined>;
}

/** What a command that cannot act returns (and tells the user), instead of faking success. */
export interface Unavailable {
  status: 'unavailable';
  message: string;
}

/** Result of Train / Compare: one entry per run, or the settings errors. */
export type TrainOutcome =
  | { status: 'invalid'; errors: string[] }
  | { status: 'notebook'; ok: boolean }
  | { status: 'done'; runs: Array<{ runId: string; label: string; reason: DoneEvent['reason']; step: number; checkpoint?: string; message?: string }> };

/** Command ids, as contributed in package.json. */
export const commandIds = {
  train: 'bnLab.train',
  stop: 'bnLab.stop',
  compare: 'bnLab.compare',
  exportOnnx: 'bnLab.exportOnnx',
  validateOnnx: 'bnLab.validateOnnx',
  newNotebook: 'bnLab.newNotebook',
  openDashboard: 'bnLab.openDashboard',
  openDashboardPanel: 'bnLab.openDashboardPanel',
  openRun: 'bnLab.openRun',
  exportPytorch: 'bnLab.exportPytorch',
  recalibrate: 'bnLab.recalibrate',
  newWhenBnFailsNotebook: 'bnLab.newWhenBnFailsNotebook',
} as const;

/** Sweeps offered by Compare BN Settings: each turns the settings' config into labelled variants. */
export const SWEEPS: Record<string, { label: string; detail: string; variants: (c: ExperimentConfig) => Array<[string, ExperimentConfig]> }> = {
  bn: {
    label: 'BN vs no BN',
    detail: 'the model as set, and the same model with its BN layers removed',
    variants: (c) => [
      [`with BN (${bnLabel(c)})`, { ...c, bn: c.bn ?? { momentum: 0.1, eps: 1e-5, affine: true, trackRunningStats: true, convention: 'pytorch' } }],
      ['without BN', { ...c, bn: null }],
    ],
  },
  momentum: {
    label: 'BN momentum: 0.1, 0.01, none',
    detail: 'how fast the running statistics follow the batches (PyTorch convention)',
    variants: (c) =>
      ([0.1, 0.01, null] as const).map((m): [string, ExperimentConfig] => [
        `momentum ${m ?? 'none'}`,
        // Momentum changes only the running statistics: measure test accuracy in BN eval vs train mode, the summary's gap.
        { ...c, evalModes: true, bn: { ...(c.bn ?? { eps: 1e-5, affine: true, trackRunningStats: true }), momentum: m, convention: 'pytorch' } },
      ]),
  },
  batch: {
    label: 'Batch size: 16, 64, 256',
    detail: 'BN statistics from small and large batches',
    variants: (c) => [16, 64, 256].map((b): [string, ExperimentConfig] => [`batch ${b}`, { ...c, batchSize: b }]),
  },
};

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { log, dashboard, training } = deps;

  /** Settings → config, or a clear message naming each bad setting (and nothing starts). */
  const configFromSettings = (): ExperimentConfig | { errors: string[] } => {
    const r = validateSettings(readSettings(), deepChecks);
    if (r.ok) return r.config;
    const errors = r.errors.map((e) => e.message);
    for (const e of errors) log.error(e);
    void notify('error', `BN Lab: invalid settings, nothing started. ${errors.join(' ')}`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', r.errors[0].setting);
    });
    return { errors };
  };

  /** Trains runs one after another under a cancellable progress notification. */
  const trainRuns = async (title: string, variants: Array<[string, ExperimentConfig]>): Promise<TrainOutcome> => {
    if (!vscode.workspace.isTrusted) {
      const message = 'BN Lab trains only in a trusted workspace (Workspaces: Manage Workspace Trust).';
      void notify('error', message);
      return { status: 'invalid', errors: [message] };
    }
    void dashboard.reveal();
    const done: Run[] = [];
    let group: string | undefined;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `BN Lab: ${title}`, cancellable: true }, async (progress, token) => {
      let cancelled = false;
      let current: Run | undefined;
      token.onCancellationRequested(() => {
        cancelled = true;
        if (current) void training.stop(current.runId);
      });
      for (const [i, [label, config]] of variants.entries()) {
        if (cancelled) break;
        const run = (current = training.start({ label, config }));
        // A sweep's runs form a group in the dashboard (named after the sweep and its first run's number).
        if (variants.length > 1) run.group = group ??= `${title} · from #${run.seq}`;
        let reported = 0;
        // On the status bar's clock, from the same run state: both show the same loss at the same moment.
        const sub = deps.onTick(() => {
          if (!run.totalSteps || !run.step) return;
          const pct = (100 * run.step) / run.totalSteps / variants.length;
          progress.report({ increment: pct - reported, message: `${variants.length > 1 ? `${i + 1}/${variants.length} ` : ''}${label}: step ${run.step}/${run.totalSteps}, ${lossText(run.loss)}` });
          reported = pct;
        });
        await run.finished;
        sub.dispose();
        done.push(run);
        // Stop (or the dashboard's Stop) ends the whole sweep, not just its current run.
        if (run.done?.reason === 'cancelled') break;
      }
    });
    const failed = done.filter((r) => r.done?.reason === 'failed' || r.done?.reason === 'diverged');
    // As the output channel's line for each: `run #3 "seed": training diverged: …`.
    if (failed.length) void notify('error', `BN Lab: ${failed.map((r) => `${runTag(r)}: ${doneLine(r.done!)}`).join('; ')}`);
    return {
      status: 'done',
      runs: done.map((r) => ({ runId: r.runId, label: r.label, reason: r.done?.reason ?? 'failed', step: r.step, checkpoint: r.checkpoint, message: r.done?.message })),
    };
  };

  const train = async (): Promise<TrainOutcome> => {
    const editor = vscode.window.activeNotebookEditor;
    // An empty notebook has no selection (and no cell): train from the settings.
    if (editor?.notebook.notebookType === NOTEBOOK_TYPE && editor.notebook.cellCount > 0 && editor.selection) {
      const cell = editor.notebook.cellAt(editor.selection.start);
      if (cell?.kind === vscode.NotebookCellKind.Code) return { status: 'notebook', ok: await deps.controller.execute([cell], editor.notebook) };
    }
    const config = configFromSettings();
    if ('errors' in config) return { status: 'invalid', errors: config.errors };
    // Named by what differs from the default settings (the dashboard adds the run's number: "seed · batch 64 · #3").
    const defaults = validateSettings(defaultSettings());
    return trainRuns(`training ${config.model} on ${config.data}`, [[describeRun(config, defaults.ok ? defaults.config : undefined), config]]);
  };

  const compare = async (sweep?: string): Promise<TrainOutcome | undefined> => {
    const key =
      sweep ??
      (await vscode.window.showQuickPick(
        Object.entries(SWEEPS).map(([k, s]) => ({ label: s.label, detail: s.detail, key: k })),
        { title: 'BN Lab: Compare BN Settings', placeHolder: 'Runs one after another with the other settings as set; curves overlay in the dashboard' },
      ))?.key;
    if (!key) return undefined;
    const s = SWEEPS[key];
    if (!s) throw new Error(`unknown sweep "${key}" (one of ${Object.keys(SWEEPS).join(', ')})`);
    const config = configFromSettings();
    if ('errors' in config) return { status: 'invalid', errors: config.errors };
    return trainRuns(`comparing ${s.label}`, s.variants(config));
  };

  /** Asks which checkpoint; `origin` (the one an ONNX file was exported from) comes first and says so. */
  const pickCheckpoint = async (origin?: string): Promise<string | undefined> => {
    const hasWeights = (dir: string) => existsSync(join(dir, 'model.safetensors'));
    const runs = training.all().filter((r) => r.checkpoint && hasWeights(r.checkpoint)).reverse();
    const browse = { label: '$(folder-opened) Choose a checkpoint folder…', dir: '' };
    const items = runs.map((r) => ({ label: r.label, description: `step ${r.step} · ${r.done?.reason ?? 'running'}`, detail: r.checkpoint, dir: r.checkpoint! }));
    if (origin && hasWeights(origin)) {
      const known = items.findIndex((i) => i.dir === origin);
      const [item] = known >= 0 ? items.splice(known, 1) : [{ label: origin.split(/[\\/]/).pop() ?? origin, description: '', detail: origin, dir: origin }];
      items.unshift({ ...item, description: `$(link) the checkpoint this file was exported from${item.description ? ` · ${item.description}` : ''}` });
    }
    const pick = await vscode.window.showQuickPick([...items, browse], { title: origin ? 'BN Lab: validate against which checkpoint?' : 'BN Lab: which trained model?' });
    if (!pick) return undefined;
    if (pick.dir) return pick.dir;
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use checkpoint', title: 'A folder holding model.safetensors and model.json' });
    return folder?.[0]?.fsPath;
  };

  /** The CLI's lines, one log entry each (each with its timestamp); the notification says the report's headline. */
  const report = (r: Report) => {
    for (const line of r.text.split('\n')) (r.ok ? log.info : log.error).call(log, line);
    void notify(r.ok ? 'info' : 'error', `BN Lab: ${r.headline}`, 'Show Output').then((c) => c && log.show());
    return r;
  };
  const failure = (e: unknown) => {
    const text = e instanceof Error ? e.message : String(e);
    return report({ ok: false, text, headline: text });
  };

  const exportOnnx = async (args?: { checkpointDir?: string; outFile?: string; validate?: boolean }) => {
    const checkpointDir = args?.checkpointDir ?? (await pickCheckpoint());
    if (!checkpointDir) return undefined;
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri;
    const outFile =
      args?.outFile ??
      (await vscode.window.showSaveDialog({ title: 'Export ONNX (BN folded)', filters: { ONNX: ['onnx'] }, defaultUri: ws ? vscode.Uri.joinPath(ws, 'model.onnx') : undefined }))?.fsPath;
    if (!outFile) return undefined;
    try {
      return report(
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'BN Lab: exporting ONNX (BN folded) and validating…' }, () =>
          deps.exporter({ checkpointDir, outFile, validate: args?.validate ?? true }),
        ),
      );
    } catch (e) {
      return failure(e);
    }
  };

  const validateOnnx = async (args?: { onnxFile?: string; checkpointDir?: string }) => {
    const onnxFile = args?.onnxFile ?? (await vscode.window.showOpenDialog({ filters: { ONNX: ['onnx'] }, title: 'ONNX file to validate' }))?.[0]?.fsPath;
    if (!onnxFile) return undefined;
    const checkpointDir = args?.checkpointDir ?? (await pickCheckpoint(await deps.exportedFrom(onnxFile)));
    if (!checkpointDir) return undefined;
    try {
      return report(
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'BN Lab: validating ONNX with onnxruntime…' }, () => deps.validator(onnxFile, checkpointDir)),
      );
    } catch (e) {
      return failure(e);
    }
  };

  /** A run folder trained elsewhere (an exported train.py's --out): its metrics.jsonl into the dashboard, labelled external. */
  const openRun = async (args?: { dir?: string }) => {
    const dir = args?.dir ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Open Run', title: 'BN Lab: a run folder holding metrics.jsonl' }))?.[0]?.fsPath;
    if (!dir) return undefined;
    const file = join(dir, METRICS_FILE);
    if (!existsSync(file)) throw new Error(`${dir} has no ${METRICS_FILE}: not a run folder`);
    const run = training.openExternal(dir, parseRunEvents(await readFile(file, 'utf8'), file));
    await dashboard.reveal();
    return { runId: run.runId, label: run.label, events: run.events.length, checkpoint: run.checkpoint };
  };

  /** train.py (DDP, SyncBatchNorm) + README + weights + data for the last run or a chosen checkpoint. */
  const exportPytorchScript = async (args?: { checkpointDir?: string; outDir?: string }) => {
    const checkpointDir = args?.checkpointDir ?? (await pickCheckpoint());
    if (!checkpointDir) return undefined;
    const outDir = args?.outDir ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Export Here', title: 'BN Lab: the folder for train.py' }))?.[0]?.fsPath;
    if (!outDir) return undefined;
    if (!args?.outDir && existsSync(join(outDir, 'train.py'))) {
      const replace = await vscode.window.showWarningMessage(`${outDir} already holds a train.py. Replace it?`, { modal: true }, 'Replace');
      if (replace !== 'Replace') return undefined;
    }
    try {
      const files = await exportPytorch({ outDir, checkpointDir });
      const wrote = `wrote ${files.join(', ')} in ${outDir}`;
      return report({ ok: true, text: `${wrote}\nrun: python3 ${join(outDir, 'train.py')} --help`, headline: wrote });
    } catch (e) {
      return failure(e);
    }
  };

  /** Recomputes a checkpoint's BN statistics (precise BN) into a new checkpoint beside it; the old one stays. */
  const recalibrate = async (args?: { checkpointDir?: string; batches?: number }) => {
    const checkpoint = args?.checkpointDir ?? (await pickCheckpoint());
    if (!checkpoint) return undefined;
    const batches = args?.batches ?? Number(await vscode.window.showInputBox({
      title: 'BN Lab: Recalibrate BN Statistics',
      prompt: 'Training batches to recompute the running statistics over (train mode, cumulative average)',
      value: '20',
      validateInput: (v) => (/^[1-9]\d{0,5}$/.test(v.trim()) ? undefined : 'an integer from 1 to 999999'),
    }));
    if (!batches) return undefined;
    try {
      const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `BN Lab: recalibrating BN statistics over ${batches} batches…` }, () =>
        deps.recalibrator({ checkpoint, batches }),
      );
      // The notification says what changed: eval accuracy before and after, and the new folder.
      // Named as the run list names it when the checkpoint is a run's ("run #3 "seed · batch 64""), else by its folder.
      const run = training.all().find((x) => x.checkpoint === checkpoint);
      const name = run ? runTag(run) : basename(checkpoint);
      return report({ ...r, headline: r.ok ? `BN recalibration of ${name}: ${r.text.split('\n').slice(1).join('; ')}` : r.text.split('\n').at(-1)! });
    } catch (e) {
      return failure(e);
    }
  };

  const newNotebook = async (make = starterNotebook) => {
    const doc = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, toNotebookData(make()));
    await vscode.window.showNotebookDocument(doc);
    return doc.uri.toString();
  };

  const stop = async () => {
    const active = training.active.length;
    if (!active) {
      void notify('info', 'BN Lab: no training is running.');
      return { stopped: 0 };
    }
    const runs = await training.stop();
    return { stopped: runs.length, checkpoints: runs.map((r) => r.checkpoint) };
  };

  const handlers: Record<string, (...args: never[]) => unknown> = {
    [commandIds.train]: train,
    [commandIds.stop]: stop,
    [commandIds.compare]: compare,
    [commandIds.exportOnnx]: exportOnnx,
    [commandIds.validateOnnx]: validateOnnx,
    [commandIds.newNotebook]: () => newNotebook(),
    [commandIds.newWhenBnFailsNotebook]: () => newNotebook(whenBnFailsNotebook),
    [commandIds.recalibrate]: recalibrate,
    [commandIds.openDashboard]: () => dashboard.reveal(),
    [commandIds.openDashboardPanel]: () => void dashboard.openPanel(),
    [commandIds.openRun]: openRun,
    [commandIds.exportPytorch]: exportPytorchScript,
  };
  const disposables = Object.entries(handlers).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        return await handler(...args);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        log.error(`${id}: ${message}`);
        void notify('error', `BN Lab: ${message}`);
        return { status: 'error', message };
      }
    }),
  );
  // The dashboard's toolbar buttons.
  disposables.push(
    dashboard.onCommand((cmd) => {
      if (cmd.method === 'training/stop') void (cmd.params.runId ? training.stop(cmd.params.runId) : stop());
      else if (cmd.method === 'command/run') void vscode.commands.executeCommand(commandIds[cmd.params.command]);
    }),
  );
  return disposables;
}
