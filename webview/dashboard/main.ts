/**
 * BN Lab dashboard (browser side). Receives trainer events from the host as validated protocol
 * notifications, keeps them in a bounded store (persisted with vscode.setState) and redraws at
 * most once per animation frame, throttled to REDRAW_MS.
 */
import { clock, signed } from '../../src/lab/event-lines';
import { command, is, parseNotification, type Command, type Notification } from '../../src/protocol/messages';
import { Chart, colorOf, dashOf, joinSeries, paintSwatch, readTheme, type LineSpec, type Theme } from '../shared/charts';
import { injectStyles, UPLOT_CSS } from '../shared/styles';
import { drawChannelHeatmap, drawHeatmap } from './heatmap';
import { applyEvents, emptyState, finishedGroup, MAX_RUNS, onXAxis, pinRun, removeRun, renameRun, resolveXAxis, restoreState, runName, type RunState, type Series, type XAxis } from './store';
import { DASHBOARD_CSS } from './styles';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** Minimum time between redraws (20 Hz at most, at least 10 Hz while data arrives). */
const REDRAW_MS = 50;
const SAVE_MS = 1000;

const vscode = acquireVsCodeApi();
const post = (c: Command) => vscode.postMessage(c);

let state = restoreState(vscode.getState());
let theme: Theme;
let training = false;
let hostMessage: string | undefined;

// --- DOM skeleton (static markup; data is written with textContent only) -------------------------

injectStyles(UPLOT_CSS + DASHBOARD_CSS);
const root = document.getElementById('bn-dashboard') ?? document.body.appendChild(Object.assign(document.createElement('div'), { id: 'bn-dashboard' }));
root.innerHTML = `
<header>
  <span class="status" data-testid="status">No runs yet</span>
  <button class="primary" data-action="train" data-testid="train" title="BN Lab: Train (from settings)">Train</button>
  <button data-action="compare" data-testid="compare" title="BN Lab: Compare BN Settings">Compare</button>
  <button data-action="stop" data-testid="stop" title="BN Lab: Stop">Stop</button>
  <button data-action="clear" data-testid="clear" title="Forget finished runs">Clear</button>
</header>
<div class="message" data-testid="message" hidden></div>
<div class="runs" data-testid="runs"></div>
<div class="hint" data-testid="evicted" hidden></div>
<div class="empty" data-testid="empty">No runs yet. Run <b>BN Lab: Train</b> or <b>Compare BN Settings</b>, or execute a cell of a <b>.bnlab</b> notebook: loss, accuracy and every BN layer's statistics appear here live.</div>
<div class="panels" hidden>
  <div class="row"><label class="hint">x axis <select data-testid="select-x" title="Steps, epochs or samples seen (auto: epochs when batch sizes differ)">
    <option value="auto">auto</option><option value="step">steps</option><option value="epoch">epochs</option><option value="samples">samples seen</option></select></label></div>
  <section><div class="chart" data-testid="chart-loss"></div></section>
  <section><div class="chart" data-testid="chart-accuracy"></div></section>
  <section data-testid="sweep-summary" hidden><h3 data-testid="sweep-title"></h3><table class="summary"></table></section>
  <section data-testid="bn-layer">
    <h3>BatchNorm layer</h3>
    <div class="row"><select data-testid="select-run" title="Run"></select><select data-testid="select-layer" title="BN layer"></select><span class="hint" data-testid="bn-step"></span></div>
    <div class="chart" data-testid="chart-bn-mean"></div>
    <div class="chart" data-testid="chart-bn-var"></div>
    <div class="chart" data-testid="chart-bn-affine"></div>
    <div class="chart" data-testid="chart-bn-ghost" hidden></div>
    <div class="chart" data-testid="chart-bn-renorm" hidden></div>
    <canvas class="heatmap" data-testid="heatmap-renorm-r" hidden></canvas>
    <canvas class="heatmap" data-testid="heatmap-renorm-d" hidden></canvas>
    <canvas class="heatmap" data-testid="heatmap-before"></canvas>
    <canvas class="heatmap" data-testid="heatmap-after"></canvas>
  </section>
  <section><div class="chart" data-testid="chart-grad"></div></section>
</div>`;

const $ = <T extends HTMLElement>(id: string) => root.querySelector(`[data-testid="${id}"]`) as T;
const ui = {
  status: $('status'),
  message: $('message'),
  runs: $('runs'),
  evicted: $('evicted'),
  empty: $('empty'),
  panels: root.querySelector('.panels') as HTMLElement,
  stop: $<HTMLButtonElement>('stop'),
  selectRun: $<HTMLSelectElement>('select-run'),
  selectLayer: $<HTMLSelectElement>('select-layer'),
  selectX: $<HTMLSelectElement>('select-x'),
  summary: $('sweep-summary'),
  bnStep: $('bn-step'),
  heatBefore: $<HTMLCanvasElement>('heatmap-before'),
  heatAfter: $<HTMLCanvasElement>('heatmap-after'),
  heatR: $<HTMLCanvasElement>('heatmap-renorm-r'),
  heatD: $<HTMLCanvasElement>('heatmap-renorm-d'),
};
const charts = {
  // The run list above names the runs by colour: the curves need no legend.
  loss: new Chart($('chart-loss'), { title: 'Loss (solid: train, dashed: test)', xLabel: 'step', height: 170, legend: false }),
  accuracy: new Chart($('chart-accuracy'), { title: 'Accuracy (solid: train, dashed: test)', xLabel: 'step', height: 170, yRange: [0, 1], legend: false }),
  mean: new Chart($('chart-bn-mean'), { title: 'Mean per channel: batch vs running', xLabel: 'channel', height: 140 }),
  var: new Chart($('chart-bn-var'), { title: 'Variance per channel: batch vs running', xLabel: 'channel', height: 140, yFromZero: true }),
  affine: new Chart($('chart-bn-affine'), { title: 'γ and β per channel', xLabel: 'channel', height: 140 }),
  ghost: new Chart($('chart-bn-ghost'), { title: 'Ghost BN: mean per channel of each virtual batch', xLabel: 'channel', height: 140 }),
  renorm: new Chart($('chart-bn-renorm'), { title: 'Batch renorm: r and d per channel', xLabel: 'channel', height: 140 }),
  grad: new Chart($('chart-grad'), { title: 'Gradient norm per layer', xLabel: 'step', height: 150, logY: true }),
};

root.addEventListener('click', (e) => {
  const action = (e.target as HTMLElement).closest('button')?.dataset.action;
  if (action === 'train') post(command('command/run', { command: 'train' }));
  else if (action === 'compare') post(command('command/run', { command: 'compare' }));
  else if (action === 'stop') post(command('training/stop', {}));
  else if (action === 'clear') {
    state.runs = state.runs.filter((r) => r.status === 'running');
    if (!state.runs.some((r) => r.runId === state.selectedRun)) state.selectedRun = state.runs[0]?.runId ?? null;
    state.evicted = undefined;
    post(command('dashboard/clear', {}));
    changed(true);
  }
});
ui.runs.addEventListener('click', (e) => {
  const target = e.target as HTMLElement;
  const chip = target.closest<HTMLElement>('.chip');
  const run = chip && state.runs.find((r) => r.runId === chip.dataset.run);
  if (!run || target.closest('input')) return;
  const act = target.closest<HTMLElement>('button')?.dataset.act;
  if (act === 'pin') pinRun(state, run.runId, !run.pinned);
  else if (act === 'rename') return startRename(chip, run);
  else if (act === 'delete') {
    if (run.status === 'running') return;
    removeRun(state, run.runId);
    post(command('dashboard/forget', { runId: run.runId }));
  } else run.visible = !run.visible;
  changed(true);
});
ui.runs.addEventListener('keydown', (e) => {
  const chip = (e.target as HTMLElement).closest<HTMLElement>('.chip');
  const run = chip && state.runs.find((r) => r.runId === chip.dataset.run);
  if (!run || (e.target as HTMLElement).closest('input, button')) return;
  if (e.key === 'Enter' || e.key === ' ') ((run.visible = !run.visible), changed(true));
  else if (e.key === 'F2') startRename(chip, run);
});
ui.selectRun.addEventListener('change', () => ((state.selectedRun = ui.selectRun.value), (state.selectedLayer = null), changed(true)));
ui.selectLayer.addEventListener('change', () => ((state.selectedLayer = Number(ui.selectLayer.value)), changed(true)));
ui.selectX.addEventListener('change', () => ((state.xAxis = ui.selectX.value as XAxis), changed(true)));

/** Edits a run's name in place: Enter keeps it, Escape cancels, an empty name goes back to the default. */
function startRename(chip: HTMLElement, run: RunState): void {
  const label = chip.querySelector<HTMLElement>('.name');
  if (!label) return;
  renaming = true;
  const input = Object.assign(document.createElement('input'), { value: runName(run), className: 'rename' });
  input.dataset.testid = 'rename-input';
  label.replaceWith(input);
  input.focus();
  input.select();
  const finish = (keep: boolean) => {
    if (!renaming) return;
    renaming = false;
    if (keep) renameRun(state, run.runId, input.value === `${run.label}${run.seq ? ` · #${run.seq}` : ''}` ? '' : input.value);
    changed(true);
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') finish(true);
    else if (e.key === 'Escape') finish(false);
  });
  input.addEventListener('blur', () => finish(true));
}
let renaming = false;

// --- messages from the host ---------------------------------------------------------------------

window.addEventListener('message', (e: MessageEvent) => {
  const parsed = parseNotification(e.data);
  if (!parsed.ok) {
    console.warn(`BN Lab dashboard dropped a message: ${parsed.reason}`);
    post(command('webview/error', { message: `dashboard dropped a message: ${parsed.reason}` }));
    return;
  }
  handle(parsed.message);
});

function handle(msg: Notification): void {
  if (is(msg, 'run/events')) {
    applyEvents(state, msg.params.runId, msg.params.label, msg.params.events, { seq: msg.params.seq, group: msg.params.group });
    changed(msg.params.events.some((ev) => ev.type === 'done'));
  } else if (is(msg, 'run/remove')) {
    removeRun(state, msg.params.runId);
    changed(true);
  } else if (is(msg, 'runs/reset')) {
    state = emptyState();
    changed(true);
  } else if (is(msg, 'dashboard/status')) {
    training = msg.params.training;
    hostMessage = msg.params.message;
    changed(false);
  }
}

// --- redraw and persistence -------------------------------------------------------------------

let dirty = true;
let frame = 0;
let lastDraw = 0;
let saveTimer: ReturnType<typeof setTimeout> | undefined;

function changed(saveNow: boolean): void {
  dirty = true;
  if (!frame) frame = requestAnimationFrame(tick);
  if (saveNow) save();
  else saveTimer ??= setTimeout(save, SAVE_MS);
}

function save(): void {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = undefined;
  vscode.setState(state);
}

function tick(now: number): void {
  frame = 0;
  if (!dirty) return;
  if (now - lastDraw < REDRAW_MS) {
    frame = requestAnimationFrame(tick);
    return;
  }
  lastDraw = now;
  dirty = false;
  try {
    draw();
  } catch (err) {
    post(command('webview/error', { message: `dashboard failed to draw: ${err instanceof Error ? err.message : String(err)}` }));
  }
}

const fmt = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
const last = (s: Series) => (s.value.length ? s.value[s.value.length - 1] : NaN);

function draw(): void {
  const runs = state.runs;
  ui.empty.hidden = runs.length > 0;
  ui.panels.hidden = runs.length === 0;
  const running = runs.filter((r) => r.status === 'running');
  ui.stop.disabled = !training && running.length === 0;
  const failed = runs.filter((r) => r.message && (r.status === 'failed' || r.status === 'diverged'));
  const message = hostMessage ?? (failed.length ? failed.map((r) => `${r.label}: ${r.message}`).join('\n') : '');
  ui.message.hidden = !message;
  ui.message.textContent = message;
  const focus = running[0] ?? runs.find((r) => r.runId === state.selectedRun) ?? runs[runs.length - 1];
  ui.status.textContent = focus
    ? `${focus.backend || '…'} · ${fmt(focus.stepsPerSec, 1)} steps/s · step ${focus.step}/${focus.totalSteps || '?'} · loss ${fmt(last(focus.trainLoss))} · ${focus.status}`
    : 'No runs yet';
  root.dataset.runs = String(runs.length);
  root.dataset.step = String(focus?.step ?? 0);
  ui.evicted.hidden = !state.evicted?.length;
  ui.evicted.textContent = state.evicted?.length ? `Forgot ${state.evicted.join(', ')} to keep ${MAX_RUNS} runs; pin a run to keep it.` : '';
  if (!renaming) drawChips(runs);
  if (runs.length === 0) return;
  const visible = runs.filter((r) => r.visible);
  drawCurves(visible);
  drawSummary();
  drawLayer();
}

const iconButton = (act: string, text: string, title: string, disabled = false) => {
  const b = Object.assign(document.createElement('button'), { className: `icon${act === 'pin' ? ' pin' : ''}`, textContent: text, title, disabled });
  b.dataset.act = act;
  b.dataset.testid = `run-${act}`;
  return b;
};

function drawChips(runs: RunState[]): void {
  ui.runs.replaceChildren(
    ...runs.map((r) => {
      const chip = document.createElement('span');
      chip.className = `chip${r.visible ? '' : ' hidden'}${r.pinned ? ' pinned' : ''}`;
      chip.dataset.run = r.runId;
      chip.dataset.testid = 'run-chip';
      chip.tabIndex = 0;
      chip.title = `${r.spec} on ${r.dataset}${r.checkpoint ? `\ncheckpoint: ${r.checkpoint}` : ''}\nclick to show or hide · F2 to rename`;
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      paintSwatch(swatch, theme, r.color);
      const name = Object.assign(document.createElement('span'), { className: 'name', textContent: runName(r) });
      const detail = document.createElement('span');
      detail.className = 'detail';
      detail.textContent = r.status === 'running' ? `${r.step}/${r.totalSteps || '?'}` : r.status;
      chip.append(
        swatch, name, detail,
        iconButton('pin', r.pinned ? '★' : '☆', r.pinned ? 'Pinned: never forgotten to make room (click to unpin)' : 'Pin: never forget this run to make room'),
        iconButton('rename', '✎', 'Rename'),
        iconButton('delete', '×', r.status === 'running' ? 'Stop the run before deleting it' : 'Delete from the dashboard (its files stay)', r.status === 'running'),
      );
      return chip;
    }),
  );
}

const X_LABELS = { step: 'step', epoch: 'epoch', samples: 'samples seen' } as const;

function drawCurves(runs: RunState[]): void {
  ui.selectX.value = state.xAxis ?? 'auto';
  const x = resolveXAxis(state.xAxis, runs);
  const lines = (pick: (r: RunState) => [Series, Series], names: [string, string]) => {
    const specs: LineSpec[] = [];
    const tables: Series[] = [];
    for (const r of runs) {
      const color = colorOf(theme, r.color);
      const [train, test] = pick(r).map((s) => onXAxis(s, r, x));
      specs.push({ label: `${runName(r)} ${names[0]}`, color, dash: dashOf(theme, r.color), width: 1.25 });
      tables.push(train);
      // Test points arrive at epoch ends: no legend entry before the first.
      if (test.step.length) {
        specs.push({ label: `${runName(r)} ${names[1]}`, color, dash: [5, 3], points: true, width: 2 });
        tables.push(test);
      }
    }
    return { specs, data: joinSeries(tables) };
  };
  const loss = lines((r) => [r.trainLoss, r.testLoss], ['train', 'test']);
  charts.loss.update(theme, loss.specs, loss.data, undefined, X_LABELS[x]);
  const acc = lines((r) => [r.trainAcc, r.testAcc], ['train', 'test']);
  charts.accuracy.update(theme, acc.specs, acc.data, undefined, X_LABELS[x]);
}

/** A finished sweep ends with a table of its runs' final numbers (loss and steps are in the curves and the run list: the table fits a side bar). */
function drawSummary(): void {
  const runs = finishedGroup(state);
  ui.summary.hidden = runs.length === 0;
  if (!runs.length) return;
  $('sweep-title').textContent = runs[0].group ?? '';
  const table = ui.summary.querySelector('table')!;
  const row = (tag: 'th' | 'td', cells: string[]) => {
    const tr = document.createElement('tr');
    tr.append(...cells.map((t) => Object.assign(document.createElement(tag), { textContent: t })));
    return tr;
  };
  // BN eval vs train mode where the sweep measured it (the momentum sweep): train − eval, the cost of the running statistics.
  const modes = runs.some((r) => r.modes);
  const gap = (r: RunState) => (r.modes ? signed(r.modes.train - r.modes.eval) : '–');
  table.replaceChildren(
    row('th', ['run', 'train acc', 'test acc', ...(modes ? ['train − eval'] : []), 'time', 'steps/s']),
    ...runs.map((r) => row('td', [runName(r), fmt(last(r.trainAcc)), fmt(last(r.testAcc)), ...(modes ? [gap(r)] : []), r.seconds === undefined ? '–' : clock(r.seconds), fmt(r.stepsPerSec, 1)])),
  );
}

function drawLayer(): void {
  const runs = state.runs;
  syncOptions(ui.selectRun, runs.map((r) => [r.runId, runName(r)]), state.selectedRun ?? runs[0].runId);
  const run = runs.find((r) => r.runId === ui.selectRun.value) ?? runs[0];
  const layers = run.bn.map((l) => l.layer);
  if (state.selectedLayer === null || !layers.includes(state.selectedLayer)) state.selectedLayer = layers[0] ?? null;
  syncOptions(ui.selectLayer, run.bn.map((l) => [String(l.layer), `BN layer ${l.layer} (${l.channels} ch)`]), String(state.selectedLayer));
  ui.selectLayer.disabled = layers.length === 0;
  const stats = run.bn.find((l) => l.layer === state.selectedLayer);
  ui.bnStep.textContent = stats ? `statistics at step ${run.statsStep}` : run.status === 'running' && run.statsStep < 0 ? 'waiting for BN statistics…' : 'this run has no BN layers';
  // Fixed meanings whatever the run: batch vs running, γ vs β (a run's own colour is for its curves).
  const { batch, running, gamma, beta } = theme.semantic;
  const channels = stats ? Array.from({ length: stats.channels }, (_, i) => i) : [];
  const pair = (a: number[] | null | undefined, b: number[] | null | undefined): Array<ArrayLike<number | null>> => [channels, a ?? [], b ?? []];
  charts.mean.update(theme, [{ label: 'batch mean', color: batch, bars: true }, { label: 'running mean', color: running, points: true, width: 1.5 }], pair(stats?.batchMean, stats?.runningMean));
  charts.var.update(theme, [{ label: 'batch var', color: batch, bars: true }, { label: 'running var', color: running, points: true, width: 1.5 }], pair(stats?.batchVar, stats?.runningVar));
  charts.affine.update(
    theme,
    [{ label: stats?.gamma ? 'γ (weight)' : 'γ (affine off)', color: gamma, points: true }, { label: stats?.beta ? 'β (bias)' : 'β (affine off)', color: beta, points: true }],
    pair(stats?.gamma, stats?.beta),
  );
  // Ghost BN's virtual batches and batch renorm's corrections, only for layers that have them.
  charts.ghost.host.hidden = !stats?.ghost;
  if (stats?.ghost) charts.ghost.update(theme, stats.ghost.mean.map((_, k) => ({ label: `virtual batch ${k + 1}`, color: colorOf(theme, k), points: true, width: 1 })), [channels, ...stats.ghost.mean]);
  charts.renorm.host.hidden = !stats?.renorm;
  if (stats?.renorm) charts.renorm.update(theme, [{ label: 'r = σB/σ (clipped)', color: batch, points: true }, { label: 'd = (μB − μ)/σ (clipped)', color: running, points: true }], pair(stats.renorm.r, stats.renorm.d));
  const renorm = state.selectedLayer === null ? undefined : run.renorm?.[state.selectedLayer];
  ui.heatR.hidden = ui.heatD.hidden = !renorm?.length;
  if (renorm?.length) {
    drawChannelHeatmap(ui.heatR, renorm.map((s) => ({ step: s.step, values: s.r })), theme, batch, 'Batch renorm r per channel, over steps');
    drawChannelHeatmap(ui.heatD, renorm.map((s) => ({ step: s.step, values: s.d })), theme, running, 'Batch renorm d per channel, over steps');
  }
  const hist = state.selectedLayer === null ? undefined : run.hist[state.selectedLayer];
  drawHeatmap(ui.heatBefore, hist?.before ?? [], theme, batch, 'Activations entering BN, over steps');
  drawHeatmap(ui.heatAfter, hist?.after ?? [], theme, gamma, 'Activations leaving BN, over steps');
  const keys = Object.keys(run.gradNorms).sort((a, b) => parseInt(a) - parseInt(b));
  charts.grad.update(
    theme,
    keys.map((k, i) => ({ label: k.replace(':', ' '), color: colorOf(theme, i), width: 1.25 })),
    joinSeries(keys.map((k) => run.gradNorms[k])),
  );
}

function syncOptions(select: HTMLSelectElement, options: Array<[string, string]>, value: string): void {
  const same = select.options.length === options.length && options.every(([v, t], i) => select.options[i].value === v && select.options[i].text === t);
  if (!same) select.replaceChildren(...options.map(([v, t]) => new Option(t, v)));
  if (options.some(([v]) => v === value)) select.value = value;
}

// --- theme and size -----------------------------------------------------------------------------

theme = readTheme();
new MutationObserver(() => {
  theme = readTheme();
  changed(false);
}).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
new ResizeObserver(() => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const c of Object.values(charts)) c.resize();
    changed(false);
  }, 100);
}).observe(root);

changed(false);
post(command('webview/ready', {}));
