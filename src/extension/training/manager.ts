/**
 * Training runs: each in its own worker thread (dist/worker/train-worker.js), off the extension
 * host's thread. Keeps every run's events (bounded) for the dashboard and the notebook.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { DoneEvent, TrainEvent } from '../../engine/events';
import type { ExperimentConfig } from '../../lab/config';
import { toTrainConfig } from '../../lab/train-config';
import { fromWorkerSchema, parseWorkerMessage, type ToWorker } from '../../protocol/worker-messages';

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
  modes: { eval: number; train: number } | undefined;
  /** Steps the worker had finished when it received Stop. */
  stopReceivedAtStep: number | undefined;
  done: DoneEvent | undefined;
  readonly finished: Promise<Run>;
  private resolve!: (r: Run) => void;

  constructor(
    readonly runId: string,
    readonly label: string,
    readonly config: ExperimentConfig,
    readonly outDir: string,
    private readonly worker: Worker,
  ) {
    this.finished = new Promise((r) => (this.resolve = r));
  }

  get running(): boolean {
    return this.done === undefined;
  }

  stop(): void {
    if (this.running) this.worker.postMessage({ type: 'stop' } satisfies ToWorker);
  }

  /** Records an event; returns false for a second `done` (ignored). */
  record(e: TrainEvent): boolean {
    if (e.type === 'done' && this.done) return false;
    switch (e.type) {
      case 'start':
        this.totalSteps = e.totalSteps;
        this.batchSize = e.batchSize;
        break;
      case 'step':
        this.step = e.step;
        this.loss = e.loss;
        this.stepsPerSec = this.batchSize ? e.samplesPerSec / this.batchSize : 0;
        break;
      case 'checkpoint':
        this.checkpoint = e.dir;
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
  ) {}

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
    const runId = `${stamp}-${++this.counter}`;
    const outDir = join(this.paths.runsDir, `${runId}-${req.label.replace(/[^\w.-]+/g, '_').slice(0, 40)}`);
    mkdirSync(outDir, { recursive: true });
    const worker = new Worker(this.paths.workerScript);
    const run = new Run(runId, req.label, req.config, outDir, worker);
    this.runs.set(runId, run);
    this.log.info(`run ${runId} "${req.label}": ${req.config.model} on ${req.config.data}, ${req.config.steps ? `${req.config.steps} steps` : `${req.config.epochs} epoch(s)`}, batch ${req.config.batchSize}, ${req.config.optimizer} lr ${req.config.lr}, ${req.config.bn ? `BN momentum ${req.config.bn.momentum ?? 'none'} eps ${req.config.bn.eps} (${req.config.bn.convention})` : 'no BN'} → ${outDir}`);
    const fail = (message: string) => this.deliver(run, { type: 'done', reason: 'failed', step: run.step, message });
    worker.on('message', (raw: unknown) => {
      const parsed = parseWorkerMessage(fromWorkerSchema, raw);
      if (!parsed.ok) return this.log.error(`run ${runId}: dropped a message from the worker: ${parsed.reason}`);
      const m = parsed.message;
      if (m.type === 'event') this.deliver(run, m.event);
      else if (m.type === 'modes') run.modes = { eval: m.eval, train: m.train };
      else if (m.type === 'stopping') run.stopReceivedAtStep = m.step;
      else void worker.terminate();
    });
    worker.on('error', (e) => fail(`the training worker crashed: ${e.message}`));
    worker.on('exit', (code) => {
      if (run.running) fail(`the training worker exited (code ${code}) before finishing`);
      run.settle();
      this.changeEmitter.fire();
    });
    worker.postMessage({
      type: 'start', runId, config: toTrainConfig(req.config), data: req.config.data, digitsPath: this.paths.digitsPath, outDir, evalModes: req.config.evalModes,
      cpuThreads: req.config.cpuThreads,
    } satisfies ToWorker);
    this.changeEmitter.fire();
    return run;
  }

  /** Asks the runs (one, or all) to stop; resolves once they have finished. */
  async stop(runId?: string): Promise<Run[]> {
    const targets = runId ? [this.runs.get(runId)].filter((r): r is Run => !!r) : this.active;
    for (const r of targets) r.stop();
    return Promise.all(targets.map((r) => r.finished));
  }

  /** Forgets finished runs (their files stay). */
  forgetFinished(): void {
    for (const [id, r] of this.runs) if (!r.running) this.runs.delete(id);
  }

  private deliver(run: Run, event: TrainEvent): void {
    if (!run.record(event)) return;
    if (event.type === 'done') {
      const how = `${event.reason}${event.message ? `: ${event.message}` : ''}`;
      if (event.reason === 'completed' || event.reason === 'cancelled') this.log.info(`run ${run.runId} "${run.label}" ${how} at step ${event.step}${event.checkpoint ? `; checkpoint ${event.checkpoint}` : ''}`);
      else this.log.error(`run ${run.runId} "${run.label}" ${how}`);
    }
    this.eventEmitter.fire({ run, event });
  }

  dispose(): void {
    for (const r of this.active) r.stop();
    this.eventEmitter.dispose();
    this.changeEmitter.dispose();
  }
}
