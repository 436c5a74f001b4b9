/** `bnlab export`: a checkpoint to ONNX (BN folded by default, validated against the engine), or to a PyTorch training script. */
import { Option, type Command } from 'commander';
import { WEIGHTS_FILE } from '../engine/checkpoint';
import { exportPytorch } from '../export/pytorch-files';
import { exportOnnx, formatExportReport } from '../onnx/export';
import { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET } from '../onnx/graph';
import { DEFAULT_ATOL } from '../onnx/validate';
import { EXIT, intArg, nonEmptyArg, numArg, UsageError } from './common';
import { checkOutDir, checkOutFile } from './out-path';

interface ExportFlags {
  format: 'onnx' | 'pytorch';
  checkpoint?: string;
  model?: string;
  overwrite?: boolean;
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
    .description('export a checkpoint to ONNX with every foldable BN folded (validated folded and unfolded against the engine), or as a PyTorch training script (--format pytorch)')
    .addOption(new Option('--format <kind>', 'onnx, or pytorch: OUT becomes a folder with train.py (DDP, SyncBatchNorm), README.md, model.safetensors').choices(['onnx', 'pytorch']).default('onnx'))
    .option('--checkpoint <dir>', 'checkpoint directory (model.safetensors + model.json); optional with --format pytorch')
    .requiredOption('--out <path>', 'the .onnx file to write (atomically; not written if validation fails), or the folder for --format pytorch')
    .option('--model <spec>', '--format pytorch without --checkpoint: the model spec or preset (default seed)')
    .option('--overwrite', '--format pytorch: replace the export already in --out')
    .option('--no-fold', 'keep every BN as a BatchNormalization node')
    .option('--opset <n>', `ONNX opset, ${MIN_OPSET}–${MAX_OPSET}`, intArg(1), DEFAULT_OPSET)
    .option('--no-validate', 'skip the onnxruntime-web validation')
    .option('--data <source>', "validation data, or with --format pytorch the data to train on (default: the checkpoint's data set, else digits)", nonEmptyArg('a data source'))
    .option('--samples <n>', 'validate on the first N test samples (default: the whole test split)', intArg(1))
    .option('--atol <x>', 'largest allowed |difference| of the logits', numArg(0), DEFAULT_ATOL)
    .option('--json', 'print the report as JSON')
    .action(async (flags: ExportFlags, cmd: Command) => {
      const given = (names: (keyof ExportFlags)[]) => names.filter((n) => cmd.getOptionValueSource(n) === 'cli').map((n) => cmd.options.find((o) => o.attributeName() === n)!.long);
      const unused = (names: (keyof ExportFlags)[], why: string) => {
        const bad = given(names);
        if (bad.length) throw new UsageError(`${bad.join(', ')} ${bad.length === 1 ? 'has' : 'have'} no effect ${why}`);
      };
      if (flags.format === 'pytorch') {
        unused(['fold', 'opset', 'validate', 'samples', 'atol'], 'with --format pytorch (ONNX only)');
        if (flags.checkpoint) unused(['model'], "with --checkpoint (the checkpoint's model is exported)");
        checkOutDir(flags.out, !!flags.overwrite, '--out', ['train.py', WEIGHTS_FILE]);
        const files = await exportPytorch({ outDir: flags.out, checkpointDir: flags.checkpoint, spec: flags.model, data: flags.data });
        console.log(flags.json ? JSON.stringify({ out: flags.out, files }) : `wrote ${files.join(', ')} in ${flags.out}; run: python3 ${flags.out}/train.py --help`);
        return;
      }
      unused(['model', 'overwrite'], 'with --format onnx');
      if (!flags.checkpoint) throw new UsageError("required option '--checkpoint <dir>' not specified");
      if (flags.out === '-') throw new UsageError('--out - (standard output) is for predict; export prints its report there, so give a file name');
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
