/**
 * ExperimentConfig: one training run as the lab declares it (from a lab cell or from the
 * `bnLab.*` settings), and the value rules both front ends share. Pure: no vscode import.
 */

export type Optimizer = 'adam' | 'sgd' | 'adamw';
export type Convention = 'pytorch' | 'keras';
export type Backend = 'auto' | 'webgpu' | 'cpu';

export interface BnConfig {
  /** Running-statistics momentum in the convention's meaning; null = cumulative average (PyTorch `momentum=None`). */
  momentum: number | null;
  eps: number;
  affine: boolean;
  trackRunningStats: boolean;
  convention: Convention;
  /** Ghost BN's virtual batch size (every bn layer: bn(ghost=…)); absent = off. */
  ghost?: number;
  /** Batch Renormalization for every bn layer (bn(renorm,…)); absent = off. */
  renorm?: { rmax: number; dmax: number; warmup: number };
}

export interface ExperimentConfig {
  name: string;
  /** Model spec text or preset (`seed`, `seed-exact`, `conv(32,5,pad=2) bn relu …`). */
  model: string;
  /** Data source string (`digits`, `fashion-mnist:DIR`, `synthetic`, …). */
  data: string;
  /** Exactly one of epochs / steps is set. */
  epochs: number | null;
  steps: number | null;
  batchSize: number;
  optimizer: Optimizer;
  lr: number;
  /** SGD momentum (ignored by Adam/AdamW). */
  sgdMomentum: number;
  weightDecay: number;
  /** null = no BN: the BN layers are removed from the model spec (the CLI's --no-bn). */
  bn: BnConfig | null;
  seed: number;
  backend: Backend;
  /** Threads for the CPU kernels; unset or 0: every available core. */
  cpuThreads?: number;
  /** Emit BN statistics every N steps. */
  statsInterval: number;
  /** After training, report test accuracy with BN in eval mode and in train mode. */
  evalModes: boolean;
  /** Santurkar et al.'s loss landscape at each stats step: the step sizes η along the gradient; absent = off. */
  landscape?: number[];
  /** Drop the last partial batch of each epoch. */
  dropLast?: boolean;
  /** Refuse runs estimated to need more than this many GiB (null/absent: the engine's default). */
  maxMemoryGiB?: number | null;
}

export const OPTIMIZERS: readonly Optimizer[] = ['adam', 'sgd', 'adamw'];
export const CONVENTIONS: readonly Convention[] = ['pytorch', 'keras'];
export const BACKENDS: readonly Backend[] = ['auto', 'webgpu', 'cpu'];

/** PyTorch's and Keras's BN defaults (Keras: moving = moving·m + batch·(1−m)). */
export const BN_DEFAULTS: Record<Convention, { momentum: number; eps: number }> = {
  pytorch: { momentum: 0.1, eps: 1e-5 },
  keras: { momentum: 0.99, eps: 1e-3 },
};

export function defaultBn(convention: Convention = 'pytorch'): BnConfig {
  return { ...BN_DEFAULTS[convention], affine: true, trackRunningStats: true, convention };
}

export function defaultConfig(): ExperimentConfig {
  return {
    name: 'experiment',
    model: 'seed',
    data: 'digits',
    epochs: 1,
    steps: null,
    batchSize: 100,
    optimizer: 'adam',
    lr: 1e-3,
    sgdMomentum: 0,
    weightDecay: 0,
    bn: defaultBn(),
    seed: 1,
    backend: 'auto',
    statsInterval: 10,
    evalModes: false,
  };
}

/** The step sizes of `landscape: true`. */
export const LANDSCAPE_STEP_SIZES: readonly number[] = [0.05, 0.1, 0.2, 0.4];

/** A check either yields the value or says, in a phrase, what is wrong with it. */
export type Check<T> = (v: unknown) => { value: T } | { error: string };

const show = (v: unknown) => (typeof v === 'string' ? `"${v}"` : v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : String(v));

export const checks = {
  int(min: number, max: number): Check<number> {
    return (v) =>
      typeof v !== 'number' || !Number.isInteger(v)
        ? { error: `expected an integer, got ${show(v)}` }
        : v < min || v > max
          ? { error: `${v} is out of range (${min}…${max})` }
          : { value: v };
  },
  /** A finite number in [min, max] (or (min, max] when minExclusive). */
  number(min: number, max: number, minExclusive = false): Check<number> {
    return (v) =>
      typeof v !== 'number' || !Number.isFinite(v)
        ? { error: `expected a number, got ${show(v)}` }
        : (minExclusive ? v <= min : v < min) || v > max
          ? { error: `${v} is out of range (${minExclusive ? 'above ' : ''}${min}…${max})` }
          : { value: v };
  },
  bool: ((v) => (typeof v === 'boolean' ? { value: v } : { error: `expected true or false, got ${show(v)}` })) as Check<boolean>,
  text: ((v) =>
    typeof v !== 'string' ? { error: `expected text, got ${show(v)}` } : v.trim() === '' ? { error: 'must not be empty' } : { value: v.trim() }) as Check<string>,
  oneOf<T extends string>(values: readonly T[]): Check<T> {
    return (v) =>
      typeof v === 'string' && (values as readonly string[]).includes(v.toLowerCase())
        ? { value: v.toLowerCase() as T }
        : { error: `expected one of ${values.join(', ')}, got ${show(v)}` };
  },
  /** BN momentum: a number in [0, 1], or none/null for the cumulative average. */
  momentum: ((v) =>
    v === null || (typeof v === 'string' && v.trim().toLowerCase() === 'none')
      ? { value: null }
      : checks.number(0, 1)(typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v)) as Check<number | null>,
};

/** Cross-field rules, after every field has its own valid value. Returns [field, message] pairs. */
export function crossCheck(c: ExperimentConfig): Array<[keyof ExperimentConfig | 'bn.momentum' | 'bn.ghost' | 'bn.renorm', string]> {
  const out: Array<[keyof ExperimentConfig | 'bn.momentum' | 'bn.ghost' | 'bn.renorm', string]> = [];
  if (c.bn?.ghost !== undefined && c.bn.renorm) out.push(['bn.renorm', 'Ghost BN and batch renorm cannot be combined; set one of ghost or renorm']);
  if (c.bn?.renorm && !c.bn.trackRunningStats) out.push(['bn.renorm', 'batch renorm corrects towards the running statistics, so it needs track_running_stats']);
  if (c.bn?.ghost !== undefined && c.batchSize > c.bn.ghost && c.batchSize % c.bn.ghost !== 0)
    out.push(['bn.ghost', `a batch of ${c.batchSize} does not split into virtual batches of ${c.bn.ghost}; use a batch size that is a multiple of it`]);
  if (c.bn && c.bn.momentum === null && c.bn.convention === 'keras')
    out.push(['bn.momentum', 'momentum none (cumulative average) exists only in the pytorch convention']);
  if (c.epochs === null && c.steps === null) out.push(['epochs', 'set epochs or steps']);
  return out;
}

/** Optional deep checks of the model spec and data source (the engine's and data loader's parsers). */
export interface DeepChecks {
  /** Returns an error message, or undefined if the spec is valid. */
  model?(spec: string): string | undefined;
  /** Returns an error message, or undefined if the source string is valid (nothing is loaded). */
  data?(source: string): string | undefined;
}

/** Short human label of a config's BN setting, e.g. "BN m=0.1", "no BN". */
export function bnLabel(c: ExperimentConfig): string {
  if (!c.bn) return 'no BN';
  const variant = c.bn.ghost !== undefined ? `, ghost ${c.bn.ghost}` : c.bn.renorm ? ', renorm' : '';
  return `BN m=${c.bn.momentum ?? 'none'}${c.bn.convention === 'keras' ? ' (keras)' : ''}${variant}`;
}
