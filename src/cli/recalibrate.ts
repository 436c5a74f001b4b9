/** `bnlab recalibrate`: recompute a checkpoint's BN running statistics (precise BN) into a new checkpoint. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_NORMALIZATION } from '../data/dataset';
import { checkpointDataset } from '../data/load';
import { modelFromCheckpoint, saveCheckpoint, type CheckpointMeta } from '../engine/checkpoint';
import { UserError } from '../engine/errors';
import { recalibratedLayers, recalibrateOnSplit } from '../engine/recalibrate';
import { evaluate } from '../engine/trainer';
import { checkSampleShape, intArg, nonEmptyArg } from './common';
import { checkOutDir } from './out-path';

interface RecalibrateFlags {
  checkpoint: string;
  batches: number;
  batchSize?: number;
  out?: string;
  overwrite?: boolean;
  data?: string;
  seed: number;
  json?: boolean;
}

export function registerRecalibrate(program: Command): void {
  program
    .command('recalibrate')
    .description('recompute BN running statistics with the final weights over N training batches (torch update_bn); writes a new checkpoint')
    .requiredOption('--checkpoint <dir>', 'checkpoint directory (model.safetensors + model.json); left as it is')
    .requiredOption('--batches <n>', 'training batches to average the statistics over', intArg(1))
    .option('--batch-size <n>', "samples per batch (default: the checkpoint's training batch size, else 100)", intArg(2))
    .option('--out <dir>', 'the new checkpoint directory (default: <checkpoint>-recalibrated)', nonEmptyArg('a folder'))
    .option('--overwrite', 'replace a checkpoint already at --out')
    .option('--data <source>', 'data source (default: the one the checkpoint was trained on)', nonEmptyArg('a data source'))
    .option('--seed <n>', 'seed of the batches drawn from the training split', intArg(0), 0)
    .option('--json', 'print one JSON object')
    .action(async (f: RecalibrateFlags) => {
      const out = f.out ?? `${f.checkpoint.replace(/[/\\]+$/, '')}-recalibrated`;
      if (resolve(out) === resolve(f.checkpoint) && !f.overwrite) throw new UserError(`--out is the checkpoint "${f.checkpoint}" itself; choose another folder or pass --overwrite`);
      const { model, meta } = await modelFromCheckpoint(f.checkpoint);
      checkOutDir(out, f.overwrite ?? false);
      const layers = recalibratedLayers(model);
      if (!layers.length) throw new UserError(`checkpoint "${f.checkpoint}" has no BN layer with running statistics to recalibrate (${meta.spec})`);
      const dataset = await checkpointDataset(f.data, meta, f.checkpoint);
      checkSampleShape(model.inputShape, dataset.sampleShape, f.checkpoint, `data "${dataset.source}"`);
      const norm = meta.normalization ?? DEFAULT_NORMALIZATION;
      const trainedBatch = meta.training?.batchSize;
      const batchSize = f.batchSize ?? (typeof trainedBatch === 'number' && trainedBatch >= 2 ? trainedBatch : 100);
      const before = dataset.test.count ? await evaluate(model, dataset.test, norm) : null;
      const batches = recalibrateOnSplit(model, dataset.train, norm, { batches: f.batches, batchSize, seed: f.seed });
      const after = dataset.test.count ? await evaluate(model, dataset.test, norm) : null;
      const { format: _f, bnlabVersion: _v, spec: _s, createdAt: _c, sampleShape: _shape, ...info } = meta as CheckpointMeta;
      await saveCheckpoint(out, model, { ...info, recalibration: { from: resolve(f.checkpoint), batches, batchSize, seed: f.seed } });
      const report = { checkpoint: out, layers: layers.map((l) => model.layers.indexOf(l)), batches, batchSize, before, after };
      if (f.json) process.stdout.write(JSON.stringify(report) + '\n');
      else {
        const acc = (r: typeof before) => (r ? r.accuracy.toFixed(4) : 'n/a (no test split)');
        process.stdout.write(`recalibrated ${layers.length} BN layer${layers.length > 1 ? 's' : ''} over ${batches} training batches of ${batchSize}\n`);
        process.stdout.write(`test accuracy (eval mode) before ${acc(before)}, after ${acc(after)}${after ? ` (${after.count} samples of ${dataset.source})` : ''}\n`);
        process.stdout.write(`wrote ${out}\n`);
      }
    });
}
