/** `bnlab recalibrate`: recompute a checkpoint's BN running statistics (precise BN) into a new checkpoint. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { UserError } from '../engine/errors';
import { formatRecalibration, recalibrateCheckpoint } from '../engine/recalibrate-checkpoint';
import { intArg, nonEmptyArg } from './common';
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
      const checkOut = (out: string) => {
        if (resolve(out) === resolve(f.checkpoint) && !f.overwrite) throw new UserError(`--out is the checkpoint "${f.checkpoint}" itself; choose another folder or pass --overwrite`);
        checkOutDir(out, f.overwrite ?? false);
      };
      const report = await recalibrateCheckpoint({ ...f, out: f.out ?? `${f.checkpoint.replace(/[/\\]+$/, '')}-recalibrated`, checkOut });
      process.stdout.write(`${f.json ? JSON.stringify(report) : formatRecalibration(report)}\n`);
    });
}
