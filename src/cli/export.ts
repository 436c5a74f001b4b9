/** `bnlab export`: a checkpoint to ONNX (BN folded by default), validated against the engine. */
import type { Command } from 'commander';
import { exportOnnx, formatExportReport } from '../onnx/export';
import { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET } from '../onnx/graph';
import { DEFAULT_ATOL } from '../onnx/validate';
import { EXIT, intArg, nonEmptyArg, numArg } from './common';
import { checkOutFile } from './out-path';

interface ExportFlags {
  checkpoint: string;
  out: string;
  fold: boolean;
  opset: number;
  validate: boolean;
  data?: string;
  samples?: number;
  atol: number;
  json?: boolean;
}

export function registerExport(program: Command): Command {
  return program
    .command('export')
    .description('export a checkpoint to ONNX with every foldable BN folded; validates folded and unfolded against the engine')
    .requiredOption('--checkpoint <dir>', 'checkpoint directory (model.safetensors + model.json)')
    .requiredOption('--out <file>', 'the .onnx file to write (atomically; not written if validation fails)')
    .option('--no-fold', 'keep every BN as a BatchNormalization node')
    .option('--opset <n>', `ONNX opset, ${MIN_OPSET}–${MAX_OPSET}`, intArg(1), DEFAULT_OPSET)
    .option('--no-validate', 'skip the onnxruntime-web validation')
    .option('--data <source>', "validation data (default: the checkpoint's data set)", nonEmptyArg('a data source'))
    .option('--samples <n>', 'validate on the first N test samples (default: the whole test split)', intArg(1))
    .option('--atol <x>', 'largest allowed |difference| of the logits', numArg(0), DEFAULT_ATOL)
    .option('--json', 'print the report as JSON')
    .action(async (flags: ExportFlags) => {
      checkOutFile(flags.out);
      const report = await exportOnnx({
        checkpointDir: flags.checkpoint,
        outFile: flags.out,
        fold: flags.fold,
        opset: flags.opset,
        validate: flags.validate,
        data: flags.data,
        samples: flags.samples,
        atol: flags.atol,
      });
      console.log(flags.json ? JSON.stringify(report) : formatExportReport(report));
      if (!report.passed) process.exitCode = EXIT.validation;
    });
}
