/** `bnlab validate`: an ONNX file under onnxruntime-web against a checkpoint in the engine. */
import type { Command } from 'commander';
import { DEFAULT_ATOL, formatValidateReport, validateOnnx } from '../onnx/validate';
import { EXIT, intArg, nonEmptyArg, numArg } from './common';

interface ValidateFlags {
  checkpoint: string;
  data?: string;
  samples?: number;
  atol: number;
  json?: boolean;
}

export function registerValidate(program: Command): Command {
  return program
    .command('validate')
    .description('compare an ONNX model (onnxruntime-web, wasm) with a checkpoint in eval mode; exits 4 past the tolerance')
    .argument('<model.onnx>', 'the ONNX file')
    .requiredOption('--checkpoint <dir>', 'checkpoint directory (model.safetensors + model.json)')
    .option('--data <source>', "held-out data (default: the checkpoint's data set)", nonEmptyArg('a data source'))
    .option('--samples <n>', 'use the first N test samples (default: the whole test split)', intArg(1))
    .option('--atol <x>', 'largest allowed |difference| of the logits', numArg(0), DEFAULT_ATOL)
    .option('--json', 'print the result as JSON')
    .action(async (file: string, flags: ValidateFlags) => {
      const r = await validateOnnx({ onnxFile: file, checkpointDir: flags.checkpoint, data: flags.data, samples: flags.samples, atol: flags.atol });
      console.log(flags.json ? JSON.stringify(r) : formatValidateReport(r).join('\n'));
      if (!r.passed) process.exitCode = EXIT.validation;
    });
}
