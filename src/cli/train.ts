/** `bnlab train`: trains a model and writes DIR/model.safetensors, DIR/model.json and DIR/metrics.jsonl. */
import { Command, Option } from 'commander';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { absoluteSource, loadDataset } from '../data/load';
import { setCpuThreads } from '../engine/backends/cpu/threads';
import { initNodeWebGpu } from '../engine/backends/webgpu/node';
import { UserError } from '../engine/errors';
import { loadCheckpoint, saveCheckpoint, writeError } from '../engine/checkpoint';
import type { DoneEvent, TrainEvent } from '../engine/events';
import { makeDirs } from '../engine/fs-paths';
import type { OptimizerName } from '../engine/optim';
import { hostMemoryLimit } from '../engine/host-memory';
import { formatBytes } from '../engine/plan';
import { LAYER_HELP, PRESETS } from '../engine/spec';
import { train, type TrainConfig } from '../engine/trainer';
import { bytesArg, EXIT, intArg, momentumOrNone, nonEmptyArg, normalizeArg, NORMALIZE_HELP, numArg, positiveArg, resolveNormalization, UsageError } from './common';
import { checkOutDir, METRICS_FILE } from './out-path';
import { EpochProgress } from './progress';
import { doneLine, startLine } from '../lab/event-lines';

interface TrainFlags {
  model?: string;
  data: string;
  epochs?: number;
  steps?: number;
  batch: number;
  optimizer: OptimizerName;
  lr?: number;
  momentum: number;
  nesterov?: boolean;
  weightDecay: number;
  bnMomentum?: number | 'none';
  bnEps?: number;
  bnAffine: boolean;
  bnRunningStats: boolean;
  bn: boolean;
  seed: number;
  shuffle: boolean;
  init?: string;
  out?: string;
  json?: boolean;
  threads?: number;
  backend: 'cpu' | 'webgpu';
  normalize: string;
  schedule: 'none' | 'step' | 'cosine';
  schedulePer: 'epoch' | 'step';
  stepSize: number;
  gamma: number;
  statsEvery: number;
  dropLast?: boolean;
  maxMemory?: number;
  overwrite?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a model; writes DIR/model.safetensors, DIR/model.json, DIR/metrics.jsonl')
    .option('--model <spec>', `model spec or preset (${Object.keys(PRESETS).join(', ')}), e.g. "conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear" (default: seed, or the --init checkpoint's spec)`)
    .option('--data <source>', 'data source (digits, synthetic, fashion-mnist:DIR, ...)', nonEmptyArg('a data source'), 'digits')
    .addOption(new Option('--epochs <n>', 'epochs (default 1)').argParser(intArg(1)).conflicts('steps'))
    .addOption(new Option('--steps <n>', 'optimizer steps instead of epochs').argParser(intArg(1)))
    .option('--batch <n>', 'batch size', intArg(1), 100)
    .option('--drop-last', 'drop the last partial batch of each epoch (torch drop_last=True)')
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['adam', 'sgd', 'adamw']).default('adam'))
    .option('--lr <x>', 'learning rate (default 0.001 for adam/adamw, 0.01 for sgd)', numArg(0))
    .option('--momentum <x>', 'SGD momentum', numArg(0, 1), 0)
    .option('--nesterov', 'SGD Nesterov momentum')
    .option('--weight-decay <x>', 'weight decay (L2 for sgd/adam, decoupled for adamw)', numArg(0), 0)
    .option('--bn-momentum <x|none>', 'BN momentum (PyTorch convention), or none for a cumulative average', momentumOrNone)
    .option('--bn-eps <x>', 'BN epsilon', positiveArg)
    .option('--no-bn-affine', 'BN without learnable γ/β')
    .option('--no-bn-running-stats', 'BN without running statistics (batch statistics in eval too)')
    .option('--no-bn', 'remove the bn layers from the spec')
    .option('--seed <n>', 'seed for init, shuffling and dropout (32 bits)', intArg(0, 2 ** 32 - 1), 0)
    .option('--no-shuffle', 'consecutive batches in file order')
    .option('--init <checkpoint>', 'start from these weights (a checkpoint directory or a .safetensors file)')
    .option('--out <dir>', 'output directory (default runs/<timestamp>)', nonEmptyArg('a folder'))
    .option('--overwrite', 'replace the run already in --out')
    .option('--max-memory <size>', `refuse runs estimated to need more memory than this, e.g. 8G (default ${formatBytes(hostMemoryLimit())}: half the RAM, at most 16 GiB)`, bytesArg)
    .option('--json', 'JSON lines on stdout instead of a progress bar')
    .option('--threads <n>', 'CPU threads (default: every available core)', intArg(1, 256))
    .addOption(new Option('--backend <name>', 'cpu, or webgpu: the WGSL kernels through the npm package "webgpu" (Dawn)').choices(['cpu', 'webgpu']).default('cpu'))
    .option('--normalize <how>', `${NORMALIZE_HELP}; without it, --init's normalization`, normalizeArg, 'unit')
    .addOption(new Option('--schedule <kind>', 'LR schedule (StepLR / CosineAnnealingLR)').choices(['none', 'step', 'cosine']).default('none'))
    .addOption(new Option('--schedule-per <unit>', 'step the schedule per epoch or per step').choices(['epoch', 'step']).default('epoch'))
    .option('--step-size <n>', 'StepLR step_size', intArg(1), 1)
    .option('--gamma <x>', 'StepLR gamma', positiveArg, 0.1)
    .option('--stats-every <n>', 'BN statistics every N steps into metrics.jsonl (0: never)', intArg(0), 50)
    .addHelpText('after', `\nLayers of --model:\n  ${LAYER_HELP.split(' | ').join('\n  ')}\nPresets:\n${Object.entries(PRESETS).map(([k, v]) => `  ${k} = ${v}`).join('\n')}`)
    .action(runTrain);
}

function defaultOutDir(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  let dir = join('runs', stamp);
  for (let i = 2; existsSync(dir); i++) dir = join('runs', `${stamp}-${i}`);
  return dir;
}

/** Flags that would be parsed but have no effect with the others given: one clear error instead. */
function checkIgnoredFlags(f: TrainFlags, cmd: Command): void {
  const given = (name: keyof TrainFlags) => cmd.getOptionValueSource(name) === 'cli';
  const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const unused = (names: (keyof TrainFlags)[], why: string) => {
    const bad = names.filter(given).map((n) => (n === 'bnAffine' || n === 'bnRunningStats' ? flag(`no-${n}`) : flag(n)));
    if (bad.length) throw new UsageError(`${bad.join(', ')} ${bad.length === 1 ? 'has' : 'have'} no effect ${why}`);
  };
  if (!f.bn) unused(['bnMomentum', 'bnEps', 'bnAffine', 'bnRunningStats'], 'with --no-bn (it removes every bn layer)');
  if (f.optimizer !== 'sgd') unused(['momentum', 'nesterov'], `with --optimizer ${f.optimizer} (SGD only)`);
  if (f.schedule !== 'step') unused(['stepSize', 'gamma'], `with --schedule ${f.schedule} (StepLR only: --schedule step)`);
  if (f.schedule === 'none') unused(['schedulePer'], 'without --schedule step or cosine');
}

async function runTrain(f: TrainFlags, cmd: Command): Promise<void> {
  checkIgnoredFlags(f, cmd);
  const out = f.out ?? defaultOutDir();
  checkOutDir(out, !!f.overwrite);
  if (f.threads) setCpuThreads(f.threads);
  if (f.backend === 'webgpu') {
    try {
      const gpu = await initNodeWebGpu();
      if (!f.json) process.stderr.write(`training on ${gpu.describe()}\n`);
    } catch (e) {
      throw new UserError(`--backend webgpu: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const init = f.init ? await loadCheckpoint(f.init) : undefined;
  const spec = f.model ?? init?.meta?.spec ?? 'seed';
  const dataset = await loadDataset(f.data);
  // Like the spec, the normalization defaults to the --init checkpoint's (its weights expect that input).
  const initNorm = cmd.getOptionValueSource('normalize') === 'cli' ? undefined : init?.meta?.normalization;
  const normalization = initNorm ?? resolveNormalization(f.normalize, dataset);
  const bn: TrainConfig['bn'] = {};
  if (f.bnMomentum !== undefined) bn.momentum = f.bnMomentum === 'none' ? null : f.bnMomentum;
  if (f.bnEps !== undefined) bn.eps = f.bnEps;
  if (!f.bnAffine) bn.affine = false;
  if (!f.bnRunningStats) bn.track = false;
  const config: TrainConfig = {
    spec,
    ...(f.steps !== undefined ? { steps: f.steps } : { epochs: f.epochs ?? 1 }),
    batchSize: f.batch,
    optimizer: f.optimizer,
    lr: f.lr ?? (f.optimizer === 'sgd' ? 0.01 : 1e-3),
    momentum: f.momentum,
    nesterov: !!f.nesterov,
    weightDecay: f.weightDecay,
    bn,
    noBn: !f.bn,
    seed: f.seed,
    shuffle: f.shuffle,
    normalization,
    statsEvery: f.statsEvery,
    ...(f.dropLast ? { dropLast: true } : {}),
    maxMemory: f.maxMemory ?? hostMemoryLimit(),
    ...(f.schedule !== 'none' ? { schedule: { kind: f.schedule, per: f.schedulePer, stepSize: f.stepSize, gamma: f.gamma } } : {}),
  };
  const metrics = join(out, METRICS_FILE);

  const training = { ...config, normalize: initNorm ? 'init' : f.normalize, init: f.init ?? null, data: f.data } as Record<string, unknown>;
  const tty = !f.json && process.stderr.isTTY;
  const reporter = new Reporter(f.json ? 'json' : tty ? 'tty' : 'plain');
  // SIGINT (Ctrl-C) and SIGTERM (timeout, docker stop, CI cancel) stop at the next step with a checkpoint; a second one exits at once.
  const abort = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const signalCode = () => (stoppedBy === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint);
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(signalCode());
    stoppedBy = signal;
    reporter.stoppedBy = signal;
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let metricsWritable = true;
  const record = (e: TrainEvent) => {
    if (!metricsWritable) return;
    try {
      // The run folder appears with the first event, so a bad spec or option leaves nothing behind.
      if (e.type === 'start') {
        makeDirs(out);
        writeFileSync(metrics, '');
      }
      appendFileSync(metrics, JSON.stringify(e) + '\n');
    } catch (err) {
      metricsWritable = false;
      throw writeError(err, metrics);
    }
  };
  try {
    const { done } = await train({
      dataset,
      config,
      backend: f.backend,
      signal: abort.signal,
      initState: init?.stateDict,
      onEvent: (e) => {
        reporter.event(e);
        record(e);
      },
      saveCheckpoint: (model, req) =>
        saveCheckpoint(out, model, {
          numClasses: dataset.numClasses,
          ...(dataset.classNames ? { classNames: [...dataset.classNames] } : {}),
          normalization,
          dataset: absoluteSource(dataset.source),
          training,
          step: req.step,
          epoch: req.epoch,
        }),
    });
    if (done.reason === 'completed') return;
    process.exitCode = done.reason === 'cancelled' ? signalCode() : EXIT.failed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Turns trainer events into terminal output: a progress bar (TTY), plain lines, or JSON lines. */
class Reporter {
  private bar?: EpochProgress;
  private total = 0;
  private lastLogged = 0;
  private epochLoss = 0;
  private epochAcc = 0;
  private epochSteps = 0;
  /** The signal that stopped the run, if one did. */
  stoppedBy: NodeJS.Signals | undefined;

  constructor(private mode: 'json' | 'tty' | 'plain') {}

  event(e: TrainEvent): void {
    if (this.mode === 'json') {
      if (e.type !== 'stats') process.stdout.write(JSON.stringify(e) + '\n');
      // A run that did not complete says why on stderr too, in the same line as without --json.
      if (e.type === 'done' && e.reason !== 'completed') this.stopped(e);
      return;
    }
    switch (e.type) {
      case 'start':
        this.total = e.totalSteps;
        this.say(startLine(e));
        if (this.mode === 'tty') this.bar = new EpochProgress(process.stderr, e.totalSteps, e.stepsPerEpoch);
        break;
      case 'step': {
        this.epochLoss += e.loss;
        this.epochAcc += e.accuracy;
        this.epochSteps++;
        const text = `epoch ${e.epoch} loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(3)} lr ${e.lr.toPrecision(3)} ${Math.round(e.samplesPerSec)} samples/s`;
        if (this.bar) this.bar.step(e);
        else if (e.step === 1 || e.step === this.total || e.step - this.lastLogged >= Math.max(1, Math.ceil(this.total / 20))) {
          this.lastLogged = e.step;
          this.say(`step ${e.step}/${this.total} ${text}`);
        }
        break;
      }
      case 'eval':
        this.say(
          `epoch ${e.epoch}: train loss ${(this.epochLoss / Math.max(1, this.epochSteps)).toFixed(4)} acc ${(this.epochAcc / Math.max(1, this.epochSteps)).toFixed(4)}` +
            ` | test loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(4)}`,
        );
        this.epochLoss = this.epochAcc = this.epochSteps = 0;
        break;
      case 'checkpoint':
        break;
      case 'done':
        if (e.reason === 'completed') this.say(doneLine(e));
        else this.stopped(e);
        break;
    }
  }

  /** One stderr line for a run that did not complete: why, and where its last good checkpoint is. */
  private stopped(e: DoneEvent): void {
    this.bar?.clear();
    process.stderr.write(`bnlab: ${doneLine(e, this.stoppedBy)}\n`);
  }

  private say(line: string): void {
    this.bar?.clear();
    process.stdout.write(line + '\n');
  }
}
