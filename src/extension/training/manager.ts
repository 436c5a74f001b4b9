/**
 * Training runs, off the extension host's thread: on the CPU in a worker thread
 * (dist/worker/train-worker.js), on WebGPU in the GPU Runner webview (gpu-runner.ts), with a
 * fallback to the CPU from the last checkpoint when the GPU fails. Keeps every run's events
 * (bounded) for the dashboard and the notebook.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_NORMALIZATION } from '../../data/dataset';
import { loadDataset } from '../../data/load';
import { BNLAB_VERSION, META_FILE, WEIGHTS_FILE, writeFilesAtomic, type CheckpointMeta } from '../../engine/checkpoint';
import type { DoneEvent, TrainEvent } from '../../engine/events';
import type { ExperimentConfig } from '../../lab/config';
import { doneLine, startLine } from '../../lab/event-lines';
import { toTrainConfig } from '../../lab/train-config';
import { fromWorkerSchema, parseWorkerMessage, type FromWorker, type StartMessage, type ToWorker } from '../../protocol/worker-messages';
import type { AdapterProbe, GpuRunner } from './gpu-runner';
import { notify } from '../voice';
import { workerTransport, type TrainTransport } from './transport';

const SEQ_KEY = 'bnLab.lastRunSeq';
/** Events kept per run for replays; older step/stats events are thinned beyond this. */
const MAX_HISTORY = 4000;

export interface RunRequest {
  label: string;
  config: ExperimentConfig;
}

export class Run {
  readonly events: TrainEvent[] = [];
  step = 0;
  totalSteps = 0;
  loss = NaN;
  stepsPerSec = 0;
  batchSize = 0;
  checkpoint: string | undefined;
  /** Steps done when the last checkpoint was written. */
  checkpointStep = 0;
  /** Where it trains now ('cpu' or 'webgpu'), and the adapter's description from the start event. */
  backend: 'cpu' | 'webgpu' | undefined;
  device = '';
  /** Why it trains where it does, when that is not simply what was asked (e.g. what `auto` chose). */
  backendNote: string | undefined;
  modes: { eval: number; train: number } | undefined;
  /** The Compare sweep this run belongs to, set by whoever started it. */
  group: string | undefined;
  /** Steps the worker had finished when it received Stop. */
  stopReceivedAtStep: number | undefined;
  done: DoneEvent | undefined;
  readonly finished: Promise<Run>;
  private resolve!: (r: Run) => void;

  constructor(
    readonly runId: string,
    /** The run's number in this session: its colour and "#n" in the dashboard and the notebook. */
    readonly seq: number,
    readonly label: string,
    /** null for a run trained elsewhere (external). */
    readonly config: ExperimentConfig | null,
    readonly outDir: string,
    /** Trained elsewhere (an exported train.py) and opened from its run folder: never running here. */
    readonly external = false,
  ) {
    this.finished = new Promise((r) => (this.resolve = r));
  }
  private transport: TrainTransport | undefined;
  private stopRequested = false;

  get running(): boolean {
    return this.done === undefined && !this.external;
  }

  /** Connects the runner that trains this run (a Stop asked for before is passed on). */
  attach(t: TrainTransport): void {
    const old = this.transport;
    this.transport = t;
    this.backend = t.backend;
    old?.terminate();
    if (this.stopRequested) t.post({ type: 'stop' });
  }

  isCurrent(t: TrainTransport): boolean {
    return this.transport === t;
  }

  stop(): void {
    if (!this.running) return;
    this.stopRequested = true;
    this.transport?.post({ type: 'stop' } satisfies ToWorker);
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Records an event; returns false for a second `done` (ignored). */
  record(e: TrainEvent): boolean {
    if (e.type === 'done' && this.done) return false;
    switch (e.type) {
      case 'start':
        this.totalSteps = e.totalSteps;
        this.batchSize = e.batchSize;
        this.device = e.backend;
        break;
      case 'step':
        this.step = e.step;
        this.loss = e.loss;
        this.stepsPerSec = this.batchSize ? e.samplesPerSec / this.batchSize : 0;
        break;
      case 'checkpoint':
        this.checkpoint = e.dir;
        this.checkpointStep = e.step;
        break;
      case 'done':
        this.done = e;
        if (e.checkpoint) this.checkpoint = e.checkpoint;
        break;
    }
    this.events.push(e);
    if (this.events.length > MAX_HISTORY) thin(this.events);
    return true;
  }

  settle(): void {
    this.resolve(this);
  }
}

/** Drops every other step and stats event of the older half (start, evals, checkpoints, done stay). */
function thin(events: TrainEvent[]): void {
  const half = events.length >> 1;
  let n = 0;
  const kept = events.slice(0, half).filter((e) => (e.type !== 'step' && e.type !== 'stats') || n++ % 2 === 1);
  events.splice(0, half, ...kept);
}

/** How the output channel and notifications name a run: `run #3 "seed · batch 64"`. */
export const runTag = (run: Run) => `run #${run.seq} "${run.label}"`;

export interface ManagerPaths {
  workerScript: string;
  digitsPath: string;
  runsDir: string;
}

export class TrainingManager implements vscode.Disposable {
  private readonly runs = new Map<string, Run>();
  private counter = 0;
  private readonly eventEmitter = new vscode.EventEmitter<{ run: Run; event: TrainEvent }>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** Every trainer event of every run, as it arrives. */
  readonly onEvent = this.eventEmitter.event;
  /** A run started or finished. */
  readonly onDidChangeRuns = this.changeEmitter.event;

  constructor(
    private readonly paths: ManagerPaths,
    private readonly log: vscode.LogOutputChannel,
    /** Keeps run numbers counting across window reloads (a restored dashboard still shows the old #n). */
    private readonly seqStore?: vscode.Memento,
    /** Where `webgpu` runs train (a webview); without it every run trains on the CPU. */
    private readonly gpu?: GpuRunner,
  ) {
    this.counter = seqStore?.get<number>(SEQ_KEY) ?? 0;
  }

  get active(): Run[] {
    return [...this.runs.values()].filter((r) => r.running);
  }

  all(): Run[] {
    return [...this.runs.values()];
  }

  get(runId: string): Run | undefined {
    return this.runs.get(runId);
  }

  start(req: RunRequest): Run {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const seq = this.nextSeq();
    const runId = `${stamp}-${seq}`;
    const outDir = join(this.paths.runsDir, `${runId}-${req.label.replace(/[^\w.-]+/g, '_').slice(0, 40)}`);
    mkdirSync(outDir, { recursive: true });
    const run = new Run(runId, seq, req.label, req.config, outDir);
    this.runs.set(runId, run);
    const start: StartMessage = {
      type: 'start', runId, config: toTrainConfig(req.config), data: req.config.data, digitsPath: this.paths.digitsPath, outDir, evalModes: req.config.evalModes,
      landscape: req.config.landscape, cpuThreads: req.config.cpuThreads,
    };
    void this.chooseBackend(req.config.backend).then(async ({ backend, why }) => {
      // Said in the run's start line; a WebGPU run that goes to the CPU is told at once too.
      run.backendNote = why;
      if (req.config.backend === 'webgpu' && backend === 'cpu') void notify('warn', `BN Lab: ${runTag(run)}: ${why}`);
      if (backend === 'webgpu' && this.gpu) await this.startOnGpu(run, start);
      else this.startOnCpu(run, start);
    }).catch((e: Error) => this.deliver(run, { type: 'done', reason: 'failed', step: run.step, message: e.message }));
    this.changeEmitter.fire();
    return run;
  }

  /** Adds a run trained elsewhere from its folder's events (metrics.jsonl), labelled external; its checkpoint is the folder's. */
  openExternal(dir: string, events: TrainEvent[]): Run {
    const seq = this.nextSeq();
    const name = basename(resolve(dir));
    const run = new Run(`external-${seq}-${name}`, seq, `external · ${name}`, null, dir, true);
    for (const e of events) run.record(e);
    run.checkpoint = existsSync(join(dir, WEIGHTS_FILE)) ? dir : undefined;
    run.settle();
    this.runs.set(run.runId, run);
    this.log.info(`run ${run.runId}: opened ${events.length} events from ${dir}`);
    for (const event of run.events) this.eventEmitter.fire({ run, event });
    this.changeEmitter.fire();
    return run;
  }

  private nextSeq(): number {
    const seq = ++this.counter;
    void this.seqStore?.update(SEQ_KEY, seq);
    return seq;
  }

  private probe: Promise<AdapterProbe> | undefined;

  /** cpu; webgpu when the runner has an adapter; auto: webgpu only on a hardware adapter. Says why when it is not what was asked. */
  async chooseBackend(asked: 'auto' | 'webgpu' | 'cpu'): Promise<{ backend: 'cpu' | 'webgpu'; why?: string }> {
    if (asked === 'cpu' || !this.gpu) return { backend: 'cpu', why: asked === 'cpu' ? undefined : 'WebGPU needs the GPU runner, which is not available here; training on the CPU' };
    const p = await (this.probe ??= this.gpu.probe());
    if (!p.ok) this.probe = undefined; // ask again next time (the runner may have been closed)
    if (asked === 'webgpu') return p.ok ? { backend: 'webgpu', why: `training on ${p.description}` } : { backend: 'cpu', why: `WebGPU is not available (${p.description}); training on the CPU` };
    if (p.ok && !p.software) return { backend: 'webgpu', why: `backend auto chose ${p.description}` };
    this.gpu.closeIfIdle();
    return { backend: 'cpu', why: p.ok ? `backend auto chose the CPU: the only WebGPU adapter is a software one (${p.description})` : `backend auto chose the CPU: ${p.description}` };
  }

  private startOnCpu(run: Run, start: StartMessage): void {
    const t = workerTransport(this.paths.workerScript);
    this.wire(run, t);
    t.post(start);
  }

  private async startOnGpu(run: Run, start: StartMessage): Promise<void> {
    const dataset = await loadDataset(start.data, { digitsPath: start.digitsPath });
    const t = this.gpu!.transport(run.runId);
    this.wire(run, t, async (m) => {
      if (m.type === 'saveCheckpoint') {
        try {
          const meta: CheckpointMeta = {
            format: 'bnlab-checkpoint', bnlabVersion: BNLAB_VERSION, spec: m.spec, sampleShape: [...dataset.sampleShape], numClasses: dataset.numClasses,
            classNames: dataset.classNames ? [...dataset.classNames] : undefined, normalization: start.config.normalization ?? DEFAULT_NORMALIZATION,
            dataset: start.data, training: { ...start.config }, step: m.step, epoch: m.epoch, createdAt: new Date().toISOString(),
          };
          await writeFilesAtomic([[join(start.outDir, WEIGHTS_FILE), m.weights], [join(start.outDir, META_FILE), JSON.stringify(meta, null, 2) + '\n']]);
          t.post({ type: 'checkpointSaved', id: m.id, dir: start.outDir });
        } catch (e) {
          t.post({ type: 'checkpointSaved', id: m.id, error: e instanceof Error ? e.message : String(e) });
        }
      } else if (m.type === 'backendFailed') goOnOnCpu(`WebGPU failed (${m.reason})`);
    }, (why) => goOnOnCpu(why ?? 'the GPU runner ended'));
    const goOnOnCpu = (cause: string) => {
      const from = run.checkpoint ? `the checkpoint at step ${run.checkpointStep} (${run.checkpoint})` : 'the start (no checkpoint was written yet)';
      run.backendNote = `${cause}; it goes on on the CPU from ${from}`;
      this.log.warn(`${runTag(run)}: ${run.backendNote}`);
      void notify('warn', `BN Lab: ${runTag(run)}: ${run.backendNote}`);
      this.startOnCpu(run, run.checkpoint ? { ...start, resume: { dir: run.checkpoint, step: run.checkpointStep } } : start);
    };
    t.post({ ...start, dataset: { ...dataset, sampleShape: [...dataset.sampleShape], classNames: dataset.classNames ? [...dataset.classNames] : undefined } });
  }

  /**
   * Routes a runner's validated messages into the run; `extra` handles the webview's own requests;
   * `lost`, if given, takes over a runner that ends mid-run without being stopped (else the run fails).
   */
  private wire(run: Run, t: TrainTransport, extra?: (m: FromWorker) => void, lost?: (why: string | undefined) => void): void {
    run.attach(t);
    t.onMessage((raw: unknown) => {
      const parsed = parseWorkerMessage(fromWorkerSchema, raw);
      if (!parsed.ok) return this.log.error(`run ${run.runId}: dropped a message from the ${t.backend} runner: ${parsed.reason}`);
      const m = parsed.message;
      if (m.type === 'event') this.deliver(run, m.event);
      else if (m.type === 'modes') run.modes = { eval: m.eval, train: m.train };
      else if (m.type === 'stopping') run.stopReceivedAtStep = m.step;
      else if (m.type === 'finished') {
        t.terminate();
      } else extra?.(m);
    });
    t.onExit((why) => {
      if (!run.isCurrent(t)) return; // replaced by a fallback runner
      if (run.running && lost && !run.stopping) return lost(why);
      if (run.running) this.deliver(run, { type: 'done', reason: 'failed', step: run.step, message: why ?? `the ${t.backend} runner ended before finishing` });
      run.settle();
      this.changeEmitter.fire();
    });
  }

  /** Asks the runs (one, or all) to stop; resolves once they have finished. */
  async stop(runId?: string): Promise<Run[]> {
    const targets = runId ? [this.runs.get(runId)].filter((r): r is Run => !!r) : this.active;
    for (const r of targets) r.stop();
    return Promise.all(targets.map((r) => r.finished));
  }

  /** Forgets finished runs, or the one given (their files stay). */
  forgetFinished(runId?: string): void {
    for (const [id, r] of this.runs) if (!r.running && (runId === undefined || id === runId)) this.runs.delete(id);
  }

  private deliver(run: Run, event: TrainEvent): void {
    if (!run.record(event)) return;
    // One line at each end of a run, in the words of `bnlab train`.
    if (event.type === 'start') {
      // A second start is the CPU going on after a WebGPU failure, which its own line said.
      const note = run.backendNote && run.events.filter((e) => e.type === 'start').length === 1 ? ` (${run.backendNote})` : '';
      this.log.info(`${runTag(run)}: ${startLine(event)} on ${event.backend}${note}, in ${run.outDir}`);
    }
    if (event.type === 'done') (event.reason === 'completed' || event.reason === 'cancelled' ? this.log.info : this.log.error).call(this.log, `${runTag(run)}: ${doneLine(event)}`);
    this.eventEmitter.fire({ run, event });
  }

  dispose(): void {
    for (const r of this.active) r.stop();
    this.eventEmitter.dispose();
    this.changeEmitter.dispose();
  }
}
