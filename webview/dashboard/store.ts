/**
 * The dashboard's data: every run's curves and latest BN statistics, built from trainer events.
 * Plain JSON (it is what vscode.setState persists), bounded in size: long series are downsampled
 * by averaging their older half pairwise, histogram and batch renorm timelines by dropping every other old snapshot.
 * No DOM here, so it is unit-tested in Node.
 */
import type { BnLayerStats, DoneEvent, TrainEvent } from '../../src/engine/events';
import { emptySeries as series, pushPoint, type Series } from '../../src/lab/series';

export { MAX_POINTS, pushPoint, type Series } from '../../src/lab/series';

export const MAX_HIST = 80;
export const MAX_RUNS = 8;


export interface HistSnapshot {
  step: number;
  min: number;
  max: number;
  counts: number[];
}

/** Batch renorm's r and d per channel at one stats step. */
export interface RenormSnapshot {
  step: number;
  r: number[];
  d: number[];
}

export type RunStatus = 'running' | DoneEvent['reason'];

export interface RunState {
  runId: string;
  label: string;
  /** The run's number in the host's session ("#n"), when the host sent it. */
  seq?: number;
  /** Index into the colour palette, stable for the run's lifetime (seq - 1: the notebook uses the same). */
  color: number;
  visible: boolean;
  /** Pinned runs are never forgotten to make room. */
  pinned?: boolean;
  /** The user's name for the run (rename), shown instead of label · #n. */
  name?: string;
  /** The Compare sweep the run belongs to. */
  group?: string;
  stepsPerEpoch?: number;
  spec: string;
  dataset: string;
  backend: string;
  batchSize: number;
  totalSteps: number;
  status: RunStatus;
  message?: string;
  checkpoint?: string;
  /** Wall-clock seconds of the finished run. */
  seconds?: number;
  /** The latest test accuracy with BN in eval mode vs train mode (runs that measure it). */
  modes?: { eval: number; train: number };
  step: number;
  epoch: number;
  stepsPerSec: number;
  trainLoss: Series;
  trainAcc: Series;
  testLoss: Series;
  testAcc: Series;
  /** Latest per-channel statistics of each BN layer. */
  bn: BnLayerStats[];
  /** Step of `bn`. */
  statsStep: number;
  /** Gradient norm per parameterized layer, keyed `layer:kind`. */
  gradNorms: Record<string, Series>;
  /** Per BN layer (keyed by its index): activation histograms before/after BN over time. */
  hist: Record<string, { before: HistSnapshot[]; after: HistSnapshot[] }>;
  /** Per batch-renorm layer: r and d over time (absent in states saved before it existed). */
  renorm?: Record<string, RenormSnapshot[]>;
}

export interface DashboardState {
  version: 1;
  runs: RunState[];
  /** Run and BN layer shown in the per-layer panel. */
  selectedRun: string | null;
  selectedLayer: number | null;
  nextColor: number;
  /** Names of the runs last forgotten to stay within MAX_RUNS (the dashboard says so). */
  evicted?: string[];
  /** The curves' x axis: auto = epochs when the runs shown differ in batch size, else steps. */
  xAxis?: XAxis;
}

export type XAxis = 'auto' | 'step' | 'epoch' | 'samples';

/** What the host tells about a run besides its events. */
export interface RunMeta {
  seq?: number;
  group?: string;
}

export function emptyState(): DashboardState {
  return { version: 1, runs: [], selectedRun: null, selectedLayer: null, nextColor: 0 };
}

/** A restored state if it looks like ours, else a fresh one (an older build's state is dropped, not trusted). */
export function restoreState(saved: unknown): DashboardState {
  const s = saved as DashboardState | undefined;
  return s && s.version === 1 && Array.isArray(s.runs) ? s : emptyState();
}

/** Appends a snapshot, dropping every other one of the older half when there are more than `max`. */
export function pushSnapshot<T extends { step: number }>(list: T[], snap: T, max = MAX_HIST): T[] {
  list.push(snap);
  if (list.length <= max) return list;
  const half = Math.floor(list.length / 2);
  return list.slice(0, half).filter((_, i) => i % 2 === 1).concat(list.slice(half));
}


/** What the dashboard calls a run: the user's name, else its label and number. */
export const runName = (r: Pick<RunState, 'label' | 'seq' | 'name'>) => r.name || (r.seq ? `${r.label} · #${r.seq}` : r.label);

function newRun(state: DashboardState, runId: string, label: string, { seq, group }: RunMeta): RunState {
  // A new sweep is shown as its own group: the runs before it are hidden (not forgotten).
  if (group && !state.runs.some((r) => r.group === group)) for (const r of state.runs) r.visible = false;
  const run: RunState = {
    runId, label, seq, group, color: seq ? seq - 1 : state.nextColor++, visible: true, spec: '', dataset: '', backend: '', batchSize: 0, totalSteps: 0,
    status: 'running', step: 0, epoch: 0, stepsPerSec: 0,
    trainLoss: series(), trainAcc: series(), testLoss: series(), testAcc: series(),
    bn: [], statsStep: -1, gradNorms: {}, hist: {},
  };
  if (seq) state.nextColor = Math.max(state.nextColor, seq);
  state.runs.push(run);
  // Bounded: forget the oldest finished, unpinned runs beyond MAX_RUNS (pinned and running ones stay).
  while (state.runs.length > MAX_RUNS) {
    const i = state.runs.findIndex((r) => r.status !== 'running' && !r.pinned);
    if (i < 0) break;
    const [gone] = state.runs.splice(i, 1);
    state.evicted = [...(state.evicted ?? []), runName(gone)].slice(-MAX_RUNS);
  }
  return run;
}

/**
 * Applies a batch of one run's events. Replays are harmless: a step, eval or stats event at or
 * before what the run already holds is skipped, so the host may resend a run's history.
 */
export function applyEvents(state: DashboardState, runId: string, label: string, events: readonly TrainEvent[], meta: RunMeta = {}): void {
  let run = state.runs.find((r) => r.runId === runId);
  if (!run) run = newRun(state, runId, label, meta);
  run.label = label || run.label;
  const selected = state.runs.find((r) => r.runId === state.selectedRun);
  const start = events.find((e) => e.type === 'start');
  // The per-layer panel follows a starting run unless the one shown is still running, or shows BN
  // layers and the new run has none (a BN vs no-BN comparison keeps showing the BN run).
  const startsWithoutBn = start?.type === 'start' && !/(^|\s)bn(\(|\s|$)/.test(start.spec);
  if (!selected || (selected.status !== 'running' && start && !(startsWithoutBn && selected.bn.length > 0))) {
    state.selectedRun = runId;
    state.selectedLayer = null;
  }
  for (const e of events) applyEvent(run, e);
}

function applyEvent(run: RunState, e: TrainEvent): void {
  switch (e.type) {
    case 'start':
      Object.assign(run, { spec: e.spec, dataset: e.dataset, backend: e.backend, batchSize: e.batchSize, totalSteps: e.totalSteps, stepsPerEpoch: e.stepsPerEpoch });
      return;
    case 'step':
      if (e.step <= lastOf(run.trainLoss.step)) return;
      run.step = e.step;
      run.epoch = e.epoch;
      run.stepsPerSec = run.batchSize > 0 ? e.samplesPerSec / run.batchSize : 0;
      pushPoint(run.trainLoss, e.step, e.loss);
      pushPoint(run.trainAcc, e.step, e.accuracy);
      return;
    case 'eval': {
      const [loss, acc] = e.split === 'test' ? [run.testLoss, run.testAcc] : [undefined, undefined];
      if (!loss || !acc || e.step <= lastOf(loss.step)) return;
      pushPoint(loss, e.step, e.loss);
      pushPoint(acc, e.step, e.accuracy);
      return;
    }
    case 'stats': {
      if (e.step <= run.statsStep) return;
      run.statsStep = e.step;
      run.bn = e.bn;
      for (const g of e.gradNorms) pushPoint((run.gradNorms[`${g.layer}:${g.kind}`] ??= series()), e.step, g.norm);
      for (const l of e.bn) {
        const h = (run.hist[l.layer] ??= { before: [], after: [] });
        h.before = pushSnapshot(h.before, { step: e.step, ...l.histBefore });
        h.after = pushSnapshot(h.after, { step: e.step, ...l.histAfter });
        if (l.renorm) (run.renorm ??= {})[l.layer] = pushSnapshot(run.renorm[l.layer] ?? [], { step: e.step, ...l.renorm });
      }
      return;
    }
    case 'modes':
      run.modes = { eval: e.eval, train: e.train };
      return;
    case 'checkpoint':
      run.checkpoint = e.dir;
      return;
    case 'done':
      run.status = e.reason;
      run.message = e.message;
      if (e.checkpoint) run.checkpoint = e.checkpoint;
      if (e.seconds !== undefined) run.seconds = e.seconds;
      return;
  }
}

const lastOf = (a: number[]) => (a.length ? a[a.length - 1] : -Infinity);

export function pinRun(state: DashboardState, runId: string, pinned: boolean): void {
  const run = state.runs.find((r) => r.runId === runId);
  if (run) run.pinned = pinned;
}

/** Renames a run in the dashboard; an empty name goes back to label · #n. */
export function renameRun(state: DashboardState, runId: string, name: string): void {
  const run = state.runs.find((r) => r.runId === runId);
  if (run) run.name = name.trim().slice(0, 120) || undefined;
}

/** The x axis to draw: `auto` picks epochs when the runs differ in batch size (steps would not compare). */
export function resolveXAxis(choice: XAxis | undefined, runs: readonly RunState[]): Exclude<XAxis, 'auto'> {
  if (choice && choice !== 'auto') return choice;
  return new Set(runs.map((r) => r.batchSize)).size > 1 ? 'epoch' : 'step';
}

/** A series with its steps turned into the chosen x (epochs seen or samples seen). */
export function onXAxis(s: Series, run: Pick<RunState, 'batchSize' | 'stepsPerEpoch'>, x: Exclude<XAxis, 'auto'>): Series {
  if (x === 'step') return s;
  const per = x === 'samples' ? run.batchSize : 1 / Math.max(1, run.stepsPerEpoch ?? 1);
  return { step: s.step.map((v) => v * per), value: s.value };
}

/** The last run group (Compare sweep) once all its runs have finished. */
export function finishedGroup(state: DashboardState): RunState[] {
  const group = [...state.runs].reverse().find((r) => r.group)?.group;
  const runs = state.runs.filter((r) => r.group === group);
  return group && runs.every((r) => r.status !== 'running') ? runs : [];
}

export function removeRun(state: DashboardState, runId: string): void {
  state.runs = state.runs.filter((r) => r.runId !== runId);
  if (state.selectedRun === runId) state.selectedRun = state.runs[0]?.runId ?? null;
}

/** A channel × step grid of one per-channel value over time, scaled to 0..1 over its range: rows[channel][snapshot]. */
export function channelGrid(snaps: ReadonlyArray<{ values: readonly number[] }>): { min: number; max: number; channels: number; cells: Float32Array } {
  const channels = Math.max(0, ...snaps.map((s) => s.values.length));
  const finite = snaps.flatMap((s) => s.values.filter(Number.isFinite));
  const [min, max] = finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 0];
  const cells = new Float32Array(channels * snaps.length);
  snaps.forEach((s, x) => s.values.forEach((v, c) => (cells[c * snaps.length + x] = Number.isFinite(v) ? (v - min) / (max - min || 1) : 0)));
  return { min, max, channels, cells };
}

/**
 * Re-bins a histogram timeline onto one value grid (the range of all snapshots), each column
 * normalized to its peak: rows[bin][snapshot] in 0..1, bin 0 at the low end.
 */
export function histogramGrid(snaps: readonly HistSnapshot[], bins: number): { min: number; max: number; cells: Float32Array } {
  const finite = snaps.filter((s) => Number.isFinite(s.min) && Number.isFinite(s.max));
  const min = Math.min(...finite.map((s) => s.min));
  const max = Math.max(...finite.map((s) => s.max));
  const cells = new Float32Array(bins * snaps.length);
  if (!finite.length) return { min: 0, max: 0, cells };
  const span = max - min || 1;
  snaps.forEach((s, x) => {
    if (!Number.isFinite(s.min) || !Number.isFinite(s.max)) return;
    const n = s.counts.length;
    const w = (s.max - s.min) / n;
    let peak = 0;
    for (let i = 0; i < n; i++) {
      const center = s.min + (i + 0.5) * w;
      const b = Math.min(bins - 1, Math.max(0, Math.floor(((center - min) / span) * bins)));
      const v = (cells[b * snaps.length + x] += s.counts[i]);
      if (v > peak) peak = v;
    }
    if (peak > 0) for (let b = 0; b < bins; b++) cells[b * snaps.length + x] /= peak;
  });
  return { min, max, cells };
}
