/**
 * The trainer's stats stream: what the CLI prints, metrics.jsonl stores, and the dashboard draws.
 * Plain JSON-serializable objects (they cross worker and webview boundaries).
 */
export interface Histogram {
  min: number;
  max: number;
  counts: number[];
}

export interface StartEvent {
  type: 'start';
  runId: string;
  spec: string;
  dataset: string;
  backend: string;
  totalSteps: number;
  stepsPerEpoch: number;
  batchSize: number;
  /** The full training config, as recorded in model.json. */
  config: Record<string, unknown>;
}

export interface StepEvent {
  type: 'step';
  step: number;
  epoch: number;
  loss: number;
  accuracy: number;
  lr: number;
  samplesPerSec: number;
}

export interface EvalEvent {
  type: 'eval';
  step: number;
  epoch: number;
  split: 'train' | 'test';
  loss: number;
  accuracy: number;
}

export interface BnLayerStats {
  /** Index of the BN layer in the Sequential (its state_dict prefix). */
  layer: number;
  channels: number;
  batchMean: number[];
  batchVar: number[];
  runningMean: number[];
  runningVar: number[];
  gamma: number[] | null;
  beta: number[] | null;
  /** Activations entering and leaving the BN layer. */
  histBefore: Histogram;
  histAfter: Histogram;
  /** Ghost BN: mean and biased variance of each virtual batch ([virtual batch][channel]). */
  ghost?: { mean: number[][]; variance: number[][] };
  /** Batch renorm: r and d per channel at this step. */
  renorm?: { r: number[]; d: number[] };
}

export interface GradNorm {
  layer: number;
  kind: string;
  norm: number;
}

export interface StatsEvent {
  type: 'stats';
  step: number;
  epoch: number;
  bn: BnLayerStats[];
  gradNorms: GradNorm[];
}

/** Test accuracy of a fixed subset of the test split with BN in eval mode (running statistics) and in train mode (batch statistics), measured between steps. */
export interface ModesEvent {
  type: 'modes';
  step: number;
  epoch: number;
  /** How many test samples (the first ones) were evaluated. */
  samples: number;
  eval: number;
  train: number;
}

/**
 * Santurkar et al. (2018)'s measurement at a stats step, after the optimizer step, on a fixed training batch: the loss
 * L(w) and, along the gradient g, L(w − η·g) and the gradient change ‖∇L(w − η·g) − ∇L(w)‖ at each step size η.
 */
export interface LandscapeEvent {
  type: 'landscape';
  step: number;
  epoch: number;
  /** Samples in the fixed batch (the first ones of the training split). */
  samples: number;
  loss: number;
  gradNorm: number;
  points: Array<{ eta: number; loss: number; gradChange: number }>;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  step: number;
  dir: string;
}

export interface DoneEvent {
  type: 'done';
  reason: 'completed' | 'cancelled' | 'diverged' | 'failed';
  step: number;
  message?: string;
  /** Directory of the last good checkpoint, if one was written. */
  checkpoint?: string;
  /** Wall-clock seconds from the start event to this one. */
  seconds?: number;
}

export type TrainEvent = StartEvent | StepEvent | EvalEvent | StatsEvent | ModesEvent | LandscapeEvent | CheckpointEvent | DoneEvent;
