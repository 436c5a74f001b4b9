/**
 * Notebook renderer for BN Lab cell outputs (mime application/vnd.bnlab.run+json): loss and test
 * accuracy curves of every run in the cell, overlaid, test accuracy in BN eval vs train mode over
 * the run (cells with eval_modes), test accuracy vs batch size (sweep cells), the loss landscape and gradient
 * predictiveness along the gradient as bands (cells with landscape), and a table of BN statistics. The controller
 * replaces the output while training runs; each render reuses the element's charts.
 * Must be bundled as an ES module (VS Code imports it and calls `activate`).
 */
import type { ActivationFunction, OutputItem } from 'vscode-notebook-renderer';
import { clock, signed } from '../../src/lab/event-lines';
import { parseNotebookOutput, type NotebookOutput, type RunOutput } from '../../src/protocol/notebook-output';
import { Chart, colorOf, dashOf, joinSeries, paintSwatch, readTheme, type LineSpec, type Theme } from '../shared/charts';
import { injectStyles, UPLOT_CSS } from '../shared/styles';

const CSS = `
.bnlab-output { color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size, 13px); padding: 4px 0; }
.bnlab-output .runs { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 4px; }
.bnlab-output .run { display: inline-flex; align-items: center; gap: 5px; font-variant-numeric: tabular-nums; }
.bnlab-output .swatch { width: 9px; height: 9px; border-radius: 50%; display: inline-block; box-sizing: border-box; }
.bnlab-output .muted { color: var(--vscode-descriptionForeground); }
.bnlab-output .error { color: var(--vscode-errorForeground); }
.bnlab-output .charts { display: flex; flex-wrap: wrap; gap: 8px; }
.bnlab-output .chart { flex: 1 1 280px; min-width: 240px; max-width: 520px; }
.bnlab-output table { border-collapse: collapse; margin-top: 6px; font-variant-numeric: tabular-nums; }
.bnlab-output th, .bnlab-output td { padding: 2px 10px 2px 0; text-align: right; border-bottom: 1px solid var(--vscode-widget-border, rgba(128,128,128,0.25)); }
.bnlab-output th:first-child, .bnlab-output td:first-child { text-align: left; }
.bnlab-output th { font-weight: 600; }
.bnlab-output .chart .caption { font-size: 90%; }
.bnlab-output td.note { text-align: left; color: var(--vscode-descriptionForeground); }
`;

interface View {
  root: HTMLElement;
  loss: Chart;
  accuracy: Chart;
  modes: Chart;
  modesCaption: HTMLElement;
  sweep: Chart;
  sweepCaption: HTMLElement;
  landscape: Chart;
  landscapeCaption: HTMLElement;
  gradChange: Chart;
  gradChangeCaption: HTMLElement;
  runs: HTMLElement;
  table: HTMLElement;
  /** The output last drawn, redrawn when the theme changes. */
  out?: NotebookOutput;
}

const views = new WeakMap<HTMLElement, View>();
/** Elements showing an output (a WeakMap cannot be iterated: theme changes redraw these). */
const shown = new Set<HTMLElement>();
let styled = false;

/** Charts are canvases coloured once: redraw every shown output when VS Code switches theme. */
function followTheme(): void {
  new MutationObserver(() => {
    for (const element of shown) {
      const view = views.get(element);
      if (!element.isConnected || !view?.out) shown.delete(element);
      else render(view.out, element);
    }
  }).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
}

export const activate: ActivationFunction = () => ({
  renderOutputItem(item: OutputItem, element: HTMLElement) {
    if (!styled) {
      injectStyles(UPLOT_CSS + CSS);
      followTheme();
      styled = true;
    }
    let parsed: ReturnType<typeof parseNotebookOutput>;
    try {
      parsed = parseNotebookOutput(item.json());
    } catch (e) {
      parsed = { ok: false, reason: `BN Lab output is not JSON: ${(e as Error).message}` };
    }
    if (!parsed.ok) {
      views.delete(element);
      element.replaceChildren(Object.assign(document.createElement('div'), { className: 'bnlab-output error', textContent: parsed.reason }));
      return;
    }
    render(parsed.value, element);
  },
  disposeOutputItem() {
    // Charts live in the output element and go with it; followTheme drops elements no longer in the page.
  },
});

/** A hidden chart box with a caption under the chart: [chart host, caption, box]. */
function captioned(testid: string): [HTMLElement, HTMLElement, HTMLElement] {
  const wrap = Object.assign(document.createElement('div'), { className: 'chart', hidden: true });
  const host = document.createElement('div');
  const caption = Object.assign(document.createElement('div'), { className: 'caption muted' });
  host.dataset.testid = testid;
  wrap.append(host, caption);
  return [host, caption, wrap];
}

function viewFor(element: HTMLElement): View {
  const existing = views.get(element);
  if (existing) return existing;
  const root = document.createElement('div');
  root.className = 'bnlab-output';
  root.dataset.testid = 'bnlab-output';
  const runs = Object.assign(document.createElement('div'), { className: 'runs' });
  const charts = Object.assign(document.createElement('div'), { className: 'charts' });
  const lossHost = Object.assign(document.createElement('div'), { className: 'chart' });
  const accHost = Object.assign(document.createElement('div'), { className: 'chart' });
  const [modesHost, modesCaption, modesWrap] = captioned('chart-bn-modes');
  const [sweepHost, sweepCaption, sweepWrap] = captioned('chart-batch-sweep');
  const [landscapeHost, landscapeCaption, landscapeWrap] = captioned('chart-loss-landscape');
  const [gradChangeHost, gradChangeCaption, gradChangeWrap] = captioned('chart-gradient-predictiveness');
  lossHost.dataset.testid = 'chart-loss';
  accHost.dataset.testid = 'chart-test-accuracy';
  charts.append(lossHost, accHost, modesWrap, sweepWrap, landscapeWrap, gradChangeWrap);
  const table = document.createElement('div');
  root.append(runs, charts, table);
  element.replaceChildren(root);
  const view: View = {
    root,
    // The run lines above the charts name the runs by colour: no legends.
    loss: new Chart(lossHost, { title: 'Training loss', xLabel: 'step', height: 150, legend: false }),
    accuracy: new Chart(accHost, { title: 'Test accuracy', xLabel: 'step', height: 150, xFromZero: true, yRange: [0, 1], legend: false }),
    modes: new Chart(modesHost, { title: 'Test accuracy: BN eval vs train mode', xLabel: 'step', height: 150, xFromZero: true, legend: false }),
    modesCaption,
    sweep: new Chart(sweepHost, { title: 'Test accuracy (eval mode) vs batch size', xLabel: 'batch size (log scale)', height: 150, logX: true, yRange: [0, 1] }),
    sweepCaption,
    landscape: new Chart(landscapeHost, { title: 'Loss landscape: L(w − ηg) along the gradient', xLabel: 'step', height: 150, xFromZero: true, logY: true, legend: false }),
    landscapeCaption,
    gradChange: new Chart(gradChangeHost, { title: 'Gradient predictiveness: ‖∇L(w − ηg) − ∇L(w)‖', xLabel: 'step', height: 150, xFromZero: true, logY: true, legend: false }),
    gradChangeCaption,
    runs,
    table,
  };
  views.set(element, view);
  return view;
}

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '–' : Number.isFinite(v) ? v.toFixed(digits) : String(v));
const cell = (tag: 'td' | 'th', text: string) => Object.assign(document.createElement(tag), { textContent: text });

/** A run's colour index: its number in the session when known (as in the dashboard), else its place in the cell. */
const colorIndex = (r: RunOutput, i: number) => (r.seq ?? i + 1) - 1;

function render(out: NotebookOutput, element: HTMLElement): void {
  const view = viewFor(element);
  view.out = out;
  shown.add(element);
  const theme = readTheme();
  view.root.dataset.themeFg = theme.fg;
  view.runs.replaceChildren(...out.runs.map((r, i) => runLine(r, theme, colorIndex(r, i))));
  const specs = (points: boolean): LineSpec[] => out.runs.map((r, i) => ({ label: runName(r), color: colorOf(theme, colorIndex(r, i)), dash: dashOf(theme, colorIndex(r, i)), points }));
  // A batch-size sweep's runs are drawn by samples seen (batch 2 takes 16× the steps of batch 32 on the same samples).
  const perStep = samplesPerStep(out);
  const x = (r: NotebookOutput['runs'][number], t: { step: number[]; value: number[] }) => (perStep ? { step: t.step.map((v) => v * perStep(r)), value: t.value } : t);
  const xLabel = perStep ? 'samples seen' : 'step';
  view.loss.update(theme, specs(false), joinSeries(out.runs.map((r) => x(r, r.trainLoss))), undefined, xLabel);
  // Evaluations are sparse: the x axis spans the runs' steps, not the evaluations' (one dot would stretch it).
  // The eval vs train mode chart shows once a run measured both modes, the batch-size chart once a sweep run
  // finished, the landscape charts once a run measured it; the other charts then make room for them.
  const xMax = Math.max(1, ...out.runs.map((r) => r.totalSteps));
  const optional: Array<[Chart[], boolean, () => void]> = [
    [[view.modes], out.runs.some((r) => r.modesCurve), () => drawModes(view, out, theme, xMax)],
    [[view.sweep], out.runs.some((r) => r.sweep && r.testAccuracy.value.length), () => drawSweep(view, out, theme)],
    [[view.landscape, view.gradChange], out.runs.some((r) => r.landscape), () => drawLandscape(view, out, theme, xMax)],
  ];
  let relayout = false;
  for (const [charts, show] of optional)
    for (const c of charts) {
      const wrap = c.host.parentElement!;
      relayout ||= wrap.hidden === show;
      wrap.hidden = !show;
    }
  view.accuracy.update(theme, specs(true), joinSeries(out.runs.map((r) => x(r, r.testAccuracy))), Math.max(1, ...out.runs.map((r) => x(r, { step: [r.totalSteps], value: [] }).step[0])), xLabel);
  for (const [, show, draw] of optional) if (show) draw();
  if (relayout) [view.loss, view.accuracy].forEach((c) => c.resize());
  view.table.replaceChildren(bnTable(out.runs));
}

/** Samples per step of each run when the runs' batch sizes differ (every run a sweep run), else undefined: draw by step. */
function samplesPerStep(out: NotebookOutput): ((r: NotebookOutput['runs'][number]) => number) | undefined {
  const batches = out.runs.map((r) => r.sweep?.batch);
  return batches.every((b) => b !== undefined) && new Set(batches).size > 1 ? (r) => r.sweep!.batch : undefined;
}

/** Eval mode (running statistics) solid, train mode (batch statistics) dashed, in each run's colour. */
function drawModes(view: View, out: NotebookOutput, theme: Theme, xMax: number): void {
  const runs = out.runs.map((r, i) => ({ r, i })).filter(({ r }) => r.modesCurve);
  const specs = runs.flatMap(({ r, i }): LineSpec[] => [
    { label: `${runName(r)} eval mode`, color: colorOf(theme, colorIndex(r, i)), points: true },
    { label: `${runName(r)} train mode`, color: colorOf(theme, colorIndex(r, i)), dash: [5, 3], points: true },
  ]);
  view.modes.update(theme, specs, joinSeries(runs.flatMap(({ r }) => [r.modesCurve!.eval, r.modesCurve!.train])), xMax);
  const samples = [...new Set(runs.map(({ r }) => r.modesCurve!.samples))].join('/');
  view.modesCaption.textContent = `solid: eval mode (running statistics) · dashed: train mode (batch statistics) · on the first ${samples} test samples at every stats step`;
}

/** Final test accuracy (eval mode, the trainer's last evaluation) against batch size, a line per run the sweep expanded. */
function drawSweep(view: View, out: NotebookOutput, theme: Theme): void {
  const runs = out.runs.filter((r) => r.sweep);
  const series = [...new Set(runs.map((r) => r.sweep!.series))];
  const specs = series.map((s, i): LineSpec => ({ label: s, color: colorOf(theme, i), dash: dashOf(theme, i), points: true }));
  const table = (s: string) => {
    const done = runs.filter((r) => r.sweep!.series === s && r.testAccuracy.value.length).sort((a, b) => a.sweep!.batch - b.sweep!.batch);
    return { step: done.map((r) => r.sweep!.batch), value: done.map((r) => r.testAccuracy.value.at(-1)!) };
  };
  view.sweep.update(theme, specs, joinSeries(series.map(table)));
  const samples = [...new Set(runs.map((r) => r.totalSteps * r.sweep!.batch))].join('/');
  view.sweepCaption.textContent = `a line per normalization · each run trained on ${samples} samples (steps × batch) · whole test split, after training`;
}

/**
 * Santurkar et al. (2018, Fig. 4): per run, a band from the minimum to the maximum over the step sizes η of L(w − ηg)
 * (and L(w) dashed), and a band of the gradient change, in the run's colour.
 */
function drawLandscape(view: View, out: NotebookOutput, theme: Theme, xMax: number): void {
  const runs = out.runs.map((r, i) => ({ r, i, l: r.landscape })).filter((x) => x.l);
  const band = (withLoss: boolean) =>
    runs.flatMap(({ r, i }, k): LineSpec[] => {
      const color = colorOf(theme, colorIndex(r, i)), first = k * (withLoss ? 3 : 2);
      return [
        { label: `${runName(r)} max`, color, width: 1, fillTo: first + 1 },
        { label: `${runName(r)} min`, color, width: 1 },
        ...(withLoss ? [{ label: `${runName(r)} L(w)`, color, dash: [4, 3] }] : []),
      ];
    });
  view.landscape.update(theme, band(true), joinSeries(runs.flatMap(({ l }) => [l!.lossMax, l!.lossMin, l!.loss])), xMax);
  view.gradChange.update(theme, band(false), joinSeries(runs.flatMap(({ l }) => [l!.gradChangeMax, l!.gradChangeMin])), xMax);
  const l = runs[0].l!;
  const where = `step sizes η ${l.stepSizes.join(', ')} · on the first ${l.samples} training samples at every stats step · log scale`;
  view.landscapeCaption.textContent = `band: min–max over η of the loss L(w − ηg) one step along the gradient g · dashed: L(w) · ${where}`;
  view.gradChangeCaption.textContent = `band: min–max over η of how much the gradient changes along g (narrow and low: the gradient predicts the landscape) · ${where}`;
}

const runName = (r: RunOutput) => (r.seq ? `${r.label} · #${r.seq}` : r.label);

function runLine(r: RunOutput, theme: Theme, colorIndex: number): HTMLElement {
  const line = Object.assign(document.createElement('span'), { className: 'run' });
  line.dataset.testid = 'run';
  const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
  paintSwatch(swatch, theme, colorIndex);
  const detail = Object.assign(document.createElement('span'), {
    className: r.status === 'failed' || r.status === 'diverged' ? 'error' : 'muted',
    textContent: `${r.status} · step ${r.step}/${r.totalSteps} · ${fmt(r.stepsPerSec, 1)} steps/s · ${r.backend}${r.message ? ` · ${r.message}` : ''}`,
  });
  line.append(swatch, document.createTextNode(runName(r)), detail);
  return line;
}

function bnTable(runs: RunOutput[]): HTMLElement {
  const withModes = runs.some((r) => r.modes);
  const table = document.createElement('table');
  table.dataset.testid = 'bn-table';
  const head = document.createElement('tr');
  for (const h of ['run', 'BN layer', 'channels', 'batch mean', 'running mean', 'batch var', 'running var', 'γ', 'β']) head.append(cell('th', h));
  table.append(head);
  for (const r of runs) {
    if (r.bn.length === 0) {
      const row = document.createElement('tr');
      row.append(cell('td', r.label), Object.assign(cell('td', r.statsStep === undefined && r.status === 'running' ? 'waiting for statistics…' : 'no BN layers'), { colSpan: 8, className: 'note' }));
      table.append(row);
    }
    for (const l of r.bn) {
      const row = document.createElement('tr');
      for (const t of [r.label, String(l.layer), String(l.channels), fmt(l.batchMean), fmt(l.runningMean), fmt(l.batchVar), fmt(l.runningVar), fmt(l.gamma), fmt(l.beta)]) row.append(cell('td', t));
      table.append(row);
    }
  }
  const wrap = document.createElement('div');
  const caption = Object.assign(document.createElement('div'), { className: 'muted', textContent: 'BN statistics at the last stats step (means over channels)' });
  wrap.append(caption, table);
  const finished = runs.filter((r) => r.status !== 'running');
  if (finished.length) wrap.append(summaryTable(finished, withModes));
  return wrap;
}

/** The cell's runs side by side once finished: final numbers, and BN eval vs train mode where measured. */
function summaryTable(runs: RunOutput[], withModes: boolean): HTMLElement {
  const table = document.createElement('table');
  table.dataset.testid = 'summary-table';
  const last = (s: { value: number[] }) => s.value.at(-1);
  const head = document.createElement('tr');
  const modeHeads = withModes ? ['test acc, BN eval mode (running stats)', 'BN train mode (batch stats)', 'train − eval'] : [];
  for (const h of ['run', 'steps', 'final loss', 'train acc', 'test accuracy', ...modeHeads, 'time', 'steps/s']) head.append(cell('th', h));
  table.append(head);
  for (const r of runs) {
    const gap = r.modes?.eval !== undefined && r.modes?.train !== undefined ? r.modes.train - r.modes.eval : undefined;
    const modes = withModes ? [fmt(r.modes?.eval), fmt(r.modes?.train), gap === undefined ? '–' : signed(gap)] : [];
    const row = document.createElement('tr');
    for (const t of [runName(r), `${r.step}/${r.totalSteps}`, fmt(last(r.trainLoss)), fmt(r.trainAccuracy), fmt(last(r.testAccuracy)), ...modes, r.seconds === undefined ? '–' : clock(r.seconds), fmt(r.stepsPerSec, 1)])
      row.append(cell('td', t));
    table.append(row);
  }
  return table;
}
