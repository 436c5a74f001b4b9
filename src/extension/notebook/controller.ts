/**
 * The "BN Lab" notebook controller: runs lab cells. An experiment cell trains its runs one after
 * another, with a live rich output (the renderer's curves and BN table) and a text summary; an
 * export cell exports a run trained earlier in the same notebook, a recalibrate cell recomputes its
 * BN statistics into a new checkpoint. Nothing runs in an untrusted workspace.
 */
import { dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { DeepChecks } from '../../lab/config';
import type { RecalibrateRequest } from '../../engine/recalibrate-checkpoint';
import { formatDiagnostics, parseLabCell, type ExportSpec, type RecalibrateSpec, type Run as LabRun } from '../../lab/lab-language';
import { NOTEBOOK_TYPE } from '../../lab/notebook-format';
import { findings } from '../../lab/findings';
import { RunOutputBuilder } from '../../lab/run-output';
import { RUN_OUTPUT_MIME, type NotebookOutput } from '../../protocol/notebook-output';
import type { Run, TrainingManager } from '../training/manager';
import { LAB_LANGUAGE } from './serializer';

/** How often a running cell's output is replaced. */
const OUTPUT_MS = 400;

export interface ExportRequest {
  checkpointDir: string;
  outFile: string;
  validate: boolean;
}
/** An export's or validation's outcome: the CLI's report text, and its headline (the line a notification shows). */
export interface Report {
  ok: boolean;
  text: string;
  headline: string;
}
/** Exports a checkpoint. */
export type Exporter = (req: ExportRequest) => Promise<Report>;
/** Recalibrates a checkpoint's BN statistics into a new checkpoint; returns the report text. */
export type Recalibrator = (req: RecalibrateRequest) => Promise<{ ok: boolean; text: string }>;

export class LabController implements vscode.Disposable {
  static readonly id = 'bnlab-controller';
  readonly controller: vscode.NotebookController;
  private order = 0;
  /** Runs trained in each notebook, by label (the latest of a label wins), for export cells. */
  private readonly trained = new Map<string, Map<string, Run>>();
  /** Runs of the cells executing now, per notebook, for interrupts. */
  private readonly executing = new Map<string, Set<Run>>();
  /** Notebooks that have this controller selected. */
  private readonly selected = new Set<string>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly training: TrainingManager,
    private readonly deep: DeepChecks,
    private readonly exporter: Exporter,
    private readonly recalibrator: Recalibrator,
    private readonly log: vscode.LogOutputChannel,
    private readonly extensionId: string,
  ) {
    this.controller = vscode.notebooks.createNotebookController(LabController.id, NOTEBOOK_TYPE, 'BN Lab');
    this.controller.supportedLanguages = [LAB_LANGUAGE];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = 'trains the experiments declared in lab cells';
    this.controller.executeHandler = async (cells, notebook) => void (await this.execute(cells, notebook));
    this.controller.interruptHandler = (notebook) => this.interrupt(notebook);
    const prefer = (nb: vscode.NotebookDocument) => nb.notebookType === NOTEBOOK_TYPE && this.controller.updateNotebookAffinity(nb, vscode.NotebookControllerAffinity.Preferred);
    vscode.workspace.notebookDocuments.forEach(prefer);
    this.subscriptions.push(
      vscode.workspace.onDidOpenNotebookDocument(prefer),
      this.controller.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
        if (selected) this.selected.add(notebook.uri.toString());
        else this.selected.delete(notebook.uri.toString());
      }),
    );
  }

  /** Cell executions need the controller selected for the notebook (Train from a cell, tests): select it if needed. */
  private async ensureSelected(notebook: vscode.NotebookDocument): Promise<void> {
    if (this.selected.has(notebook.uri.toString())) return;
    const editor = await vscode.window.showNotebookDocument(notebook, { preserveFocus: true });
    await vscode.commands.executeCommand('notebook.selectKernel', { notebookEditor: editor, id: LabController.id, extension: this.extensionId });
  }

  /** Runs cells in order; stops at the first failed cell. */
  async execute(cells: readonly vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<boolean> {
    await this.ensureSelected(notebook);
    for (const cell of cells) {
      if (cell.kind !== vscode.NotebookCellKind.Code) continue;
      if (!(await this.executeCell(cell, notebook))) return false;
    }
    return true;
  }

  async interrupt(notebook: vscode.NotebookDocument): Promise<void> {
    await Promise.all([...(this.executing.get(notebook.uri.toString()) ?? [])].map((r) => this.training.stop(r.runId)));
  }

  private async executeCell(cell: vscode.NotebookCell, notebook: vscode.NotebookDocument): Promise<boolean> {
    const exec = this.controller.createNotebookCellExecution(cell);
    exec.executionOrder = ++this.order;
    exec.start(Date.now());
    const fail = async (message: string) => {
      await exec.replaceOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name: 'BN Lab', message })]));
      exec.end(false, Date.now());
      return false;
    };
    if (!vscode.workspace.isTrusted) return fail('BN Lab runs notebook cells only in a trusted workspace (Workspaces: Manage Workspace Trust).');
    const parsed = parseLabCell(cell.document.getText(), this.deep);
    if (!parsed.cell) return fail(formatDiagnostics(parsed.diagnostics.filter((d) => d.severity === 'error')));
    try {
      const c = parsed.cell;
      const ok =
        c.kind === 'experiment' ? await this.experiment(exec, notebook, c.runs)
        : c.kind === 'export' ? await this.export(exec, notebook, c.export)
        : await this.recalibrate(exec, notebook, c.recalibrate);
      exec.end(ok, Date.now());
      return ok;
    } catch (e) {
      this.log.error(`cell ${cell.index + 1}: ${e instanceof Error ? e.message : String(e)}`);
      return fail(e instanceof Error ? e.message : String(e));
    }
  }

  private async experiment(exec: vscode.NotebookCellExecution, notebook: vscode.NotebookDocument, runs: LabRun[]): Promise<boolean> {
    const key = notebook.uri.toString();
    const builders: RunOutputBuilder[] = [];
    const live = this.executing.get(key) ?? new Set<Run>();
    this.executing.set(key, live);
    let cancelled = false;
    let current: Run | undefined;
    exec.token.onCancellationRequested(() => {
      cancelled = true;
      if (current) void this.training.stop(current.runId);
    });
    let dirty = false;
    const write = () => {
      dirty = false;
      const data: NotebookOutput = { version: 1, runs: builders.map((b) => b.output()) };
      // The summaries, then what the runs measured against each other (computed, never canned).
      const measured = findings(data.runs, runs.map((r) => r.config));
      return exec.replaceOutput([
        new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.json(data, RUN_OUTPUT_MIME)]),
        new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text([...builders.map((b) => b.summary()), ...measured].join('\n'))]),
      ]);
    };
    const timer = setInterval(() => dirty && void write(), OUTPUT_MS);
    let ok = true;
    try {
      for (const spec of runs) {
        if (cancelled) break;
        const run = (current = this.training.start({ label: spec.label, config: spec.config }));
        live.add(run);
        const builder = new RunOutputBuilder(run.runId, spec.label, run.seq, spec.sweep);
        builders.push(builder);
        const sub = this.training.onEvent(({ run: r, event }) => {
          if (r !== run) return;
          builder.add(event);
          dirty = true;
        });
        await run.finished;
        sub.dispose();
        live.delete(run);
        if (run.modes) builder.setModes(run.modes);
        if (run.done?.reason === 'completed') this.remember(key, run);
        else ok = false;
        // Stopped from outside the cell (BN Lab: Stop, the dashboard): the cell's later runs do not start.
        if (run.done?.reason === 'cancelled') cancelled = true;
        await write();
      }
    } finally {
      clearInterval(timer);
    }
    await write();
    return ok && !cancelled;
  }

  private remember(key: string, run: Run): void {
    const byLabel = this.trained.get(key) ?? new Map<string, Run>();
    byLabel.delete(run.label); // re-insert: the map's last entry is the latest run
    byLabel.set(run.label, run);
    this.trained.set(key, byLabel);
  }

  /** The run labelled `label` (null: the latest) trained in this notebook, with its checkpoint. */
  private trainedRun(notebook: vscode.NotebookDocument, label: string | null): Run & { checkpoint: string } {
    const byLabel = this.trained.get(notebook.uri.toString());
    const run = label === null ? [...(byLabel?.values() ?? [])].pop() : byLabel?.get(label);
    if (!run?.checkpoint) {
      const known = [...(byLabel?.keys() ?? [])];
      throw new Error(
        label === null
          ? 'no run has been trained in this notebook yet: run an experiment cell first'
          : `no run labelled "${label}" has been trained in this notebook yet${known.length ? ` (trained: ${known.join(', ')})` : ''}: run its cell first`,
      );
    }
    return run as Run & { checkpoint: string };
  }

  private async export(exec: vscode.NotebookCellExecution, notebook: vscode.NotebookDocument, spec: ExportSpec): Promise<boolean> {
    const run = this.trainedRun(notebook, spec.run);
    const name = spec.out ?? `${run.label.replace(/[^\w.-]+/g, '-')}.onnx`;
    const base = notebook.isUntitled ? (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? run.outDir) : dirname(notebook.uri.fsPath);
    const outFile = isAbsolute(name) ? name : join(base, name);
    await exec.replaceOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(`Exporting "${run.label}" (${run.checkpoint}) to ${outFile}${spec.validate ? ', validating with onnxruntime…' : '…'}`)]));
    const result = await this.exporter({ checkpointDir: run.checkpoint, outFile, validate: spec.validate });
    await exec.replaceOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(result.text)]));
    return result.ok;
  }

  private async recalibrate(exec: vscode.NotebookCellExecution, notebook: vscode.NotebookDocument, spec: RecalibrateSpec): Promise<boolean> {
    const run = this.trainedRun(notebook, spec.run);
    await exec.replaceOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(`Recalibrating the BN statistics of "${run.label}" (${run.checkpoint}) over ${spec.batches} training batches…`)]));
    const result = await this.recalibrator({ checkpoint: run.checkpoint, batches: spec.batches, batchSize: spec.batchSize ?? undefined });
    await exec.replaceOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(result.text)]));
    return result.ok;
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.controller.dispose();
  }
}
