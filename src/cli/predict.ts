/** `bnlab predict`: eval-mode logits for an IDX image file, written as float32 [N, classes] .npy. */
import type { Command } from 'commander';
import { DEFAULT_NORMALIZATION } from '../data/dataset';
import { parseIdx } from '../data/idx';
import { readBytes } from '../data/load';
import { modelFromCheckpoint, writeFileAtomic } from '../engine/checkpoint';
import { predict } from '../engine/trainer';
import { checkSampleShape } from './common';
import { encodeNpyFloat32 } from './npy';
import { checkOutFile } from './out-path';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('write eval-mode logits for IDX images (raw or .gz) as float32 [N, classes] .npy')
    .requiredOption('--checkpoint <dir>', 'checkpoint directory (model.safetensors + model.json)')
    .requiredOption('--input <images>', 'IDX image file [N, rows, cols] of uint8, raw or gzipped')
    .requiredOption('--out <logits.npy>', 'output .npy file, or - for standard output')
    .action(async (f: { checkpoint: string; input: string; out: string }) => {
      const toStdout = f.out === '-';
      if (!toStdout) checkOutFile(f.out);
      const { model, meta } = await modelFromCheckpoint(f.checkpoint);
      const idx = parseIdx(await readBytes(f.input), f.input, 3);
      const [n, rows, cols] = idx.dims;
      checkSampleShape(model.inputShape, [1, rows, cols], f.checkpoint, `"${f.input}"`);
      const logits = await predict(model, idx.data, n, meta.normalization ?? DEFAULT_NORMALIZATION);
      const npy = encodeNpyFloat32(logits.shape, logits.data);
      if (toStdout) process.stdout.write(npy);
      else {
        await writeFileAtomic(f.out, npy);
        process.stdout.write(`wrote ${f.out}: float32 [${logits.shape.join(', ')}]\n`);
      }
    });
}
