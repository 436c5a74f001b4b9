/** Recalibration of a checkpoint into a new one (the CLI, the command and the notebook cell share it). Node only. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_NORMALIZATION } from '../data/dataset';
import { checkpointDataset } from '../data/load';
import { modelFromCheckpoint, saveCheckpoint } from './checkpoint';
import { UserError } from './errors';
import { recalibratedLayers, recalibrateOnSplit } from './recalibrate';
import { evaluate, type EvalResult } from './trainer';

export interface RecalibrateRequest {
  checkpoint: string;
  batches: number;
  /** Default: the checkpoint's training batch size, else 100. */
  batchSize?: number;
  /** Default: the first of <checkpoint>-recalibrated, -recalibrated-2, … that does not exist yet. */
  out?: string;
  data?: string;
  seed?: number;
  /** Checks `out` before any work (the CLI's --out rules); the default out is always new. */
  checkOut?: (out: string) => void;
}

export interface RecalibrateReport {
  checkpoint: string;
  /** Indices of the recalibrated BN layers. */
  layers: number[];
  batches: number;
  batchSize: number;
  data: string;
  /** Eval-mode test loss and accuracy before and after (null without a test split). */
  before: EvalResult | null;
  after: EvalResult | null;
}

/** A folder name beside the checkpoint that nothing uses yet. */
function freshOut(checkpoint: string): string {
  const base = `${checkpoint.replace(/[/\\]+$/, '')}-recalibrated`;
  let out = base;
  for (let i = 2; existsSync(out); i++) out = `${base}-${i}`;
  return out;
}

export async function recalibrateCheckpoint(r: RecalibrateRequest): Promise<RecalibrateReport> {
  const { model, meta } = await modelFromCheckpoint(r.checkpoint);
  const out = r.out ?? freshOut(r.checkpoint);
  r.checkOut?.(out);
  const layers = recalibratedLayers(model);
  if (!layers.length) throw new UserError(`checkpoint "${r.checkpoint}" has no BN layer with running statistics to recalibrate (${meta.spec})`);
  const dataset = await checkpointDataset(r.data, meta, r.checkpoint);
  const want = model.inputShape.join('×'), got = dataset.sampleShape.join('×');
  if (want !== got) throw new UserError(`checkpoint "${r.checkpoint}" takes samples of ${want}, data "${dataset.source}" has ${got}`);
  const norm = meta.normalization ?? DEFAULT_NORMALIZATION;
  const trainedBatch = meta.training?.batchSize;
  const batchSize = r.batchSize ?? (typeof trainedBatch === 'number' && trainedBatch >= 2 ? trainedBatch : 100);
  const seed = r.seed ?? 0;
  const test = () => (dataset.test.count ? evaluate(model, dataset.test, norm) : Promise.resolve(null));
  const before = await test();
  const batches = recalibrateOnSplit(model, dataset.train, norm, { batches: r.batches, batchSize, seed });
  const after = await test();
  const { format: _f, bnlabVersion: _v, spec: _s, createdAt: _c, sampleShape: _shape, ...info } = meta;
  await saveCheckpoint(out, model, { ...info, recalibration: { from: resolve(r.checkpoint), batches, batchSize, seed } });
  return { checkpoint: out, layers: layers.map((l) => model.layers.indexOf(l)), batches, batchSize, data: dataset.source, before, after };
}

/** The report in three lines: what was done, eval accuracy before and after, where it went. */
export function formatRecalibration(r: RecalibrateReport): string {
  const acc = (e: EvalResult | null) => (e ? e.accuracy.toFixed(4) : 'n/a (no test split)');
  return [
    `recalibrated ${r.layers.length} BN layer${r.layers.length > 1 ? 's' : ''} over ${r.batches} training batches of ${r.batchSize}`,
    `test accuracy (eval mode) before ${acc(r.before)}, after ${acc(r.after)}${r.after ? ` (${r.after.count} samples of ${r.data})` : ''}`,
    `wrote ${r.checkpoint}`,
  ].join('\n');
}
