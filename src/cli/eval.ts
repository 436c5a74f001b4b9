/** `bnlab eval`: loss and accuracy of a checkpoint on a data set's test split. */
import type { Command } from 'commander';
import { DEFAULT_NORMALIZATION } from '../data/dataset';
import { checkpointDataset } from '../data/load';
import { modelFromCheckpoint } from '../engine/checkpoint';
import { UserError } from '../engine/errors';
import { evaluate } from '../engine/trainer';
import { checkSampleShape, nonEmptyArg } from './common';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('print loss and accuracy on the test split (eval mode)')
    .requiredOption('--checkpoint <dir>', 'checkpoint directory (model.safetensors + model.json)')
    .option('--data <source>', 'data source (default: the one the checkpoint was trained on)', nonEmptyArg('a data source'))
    .option('--json', 'print one JSON object')
    .action(async (f: { checkpoint: string; data?: string; json?: boolean }) => {
      const { model, meta } = await modelFromCheckpoint(f.checkpoint);
      const dataset = await checkpointDataset(f.data, meta, f.checkpoint);
      checkSampleShape(model.inputShape, dataset.sampleShape, f.checkpoint, `data "${dataset.source}"`);
      const classes = model.outputShape.reduce((a, b) => a * b, 1);
      if (dataset.numClasses > classes) throw new UserError(`checkpoint "${f.checkpoint}" predicts ${classes} classes, but data "${dataset.source}" has ${dataset.numClasses}`);
      if (dataset.test.count === 0) throw new UserError(`data "${dataset.source}" has no test split`);
      const r = await evaluate(model, dataset.test, meta.normalization ?? DEFAULT_NORMALIZATION);
      if (f.json) process.stdout.write(JSON.stringify({ split: 'test', data: dataset.source, ...r }) + '\n');
      else process.stdout.write(`test loss ${r.loss.toFixed(4)} accuracy ${r.accuracy.toFixed(4)} (${r.count} samples of ${dataset.source})\n`);
    });
}
