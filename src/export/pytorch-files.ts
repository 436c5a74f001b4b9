/**
 * `bnlab export --format pytorch` and the command Export PyTorch Script: writes train.py,
 * README.md, model.safetensors (with a checkpoint) and, for data sets that are not files (digits,
 * synthetic), their split as IDX files in data/. Node only.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_NORMALIZATION, type Dataset, type Split } from '../data/dataset';
import { encodeIdx } from '../data/idx';
import { absoluteSource, checkpointDataset, IDX_NAMES, loadDataset, parseDataSource, type LoadOptions } from '../data/load';
import { BNLAB_VERSION, loadCheckpoint, modelFromCheckpoint, writeFilesAtomic, WEIGHTS_FILE } from '../engine/checkpoint';
import { UserError } from '../engine/errors';
import { checkSampleShape } from '../cli/common';
import { DEFAULT_TRAIN_CONFIG, modelForConfig, validateConfig, type TrainConfig } from '../engine/trainer';
import { pytorchScript, type PytorchExport, type ScriptData } from './pytorch';

export interface PytorchExportRequest {
  outDir: string;
  /** Export this checkpoint's model, weights and training config... */
  checkpointDir?: string;
  /** ...or this spec (default seed) with BN Lab's default training config. */
  spec?: string;
  /** The data set (default: the checkpoint's, else digits). */
  data?: string;
  load?: LoadOptions;
}

/** Writes the export; returns the files written, relative to outDir. */
export async function exportPytorch(r: PytorchExportRequest): Promise<string[]> {
  const files: [string, Uint8Array | string][] = [];
  let x: Omit<PytorchExport, 'data' | 'dataset'>, ds: Dataset;
  if (r.checkpointDir) {
    const { model, meta } = await modelFromCheckpoint(r.checkpointDir);
    const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...(meta.training as Partial<TrainConfig> | undefined), spec: meta.spec };
    validateConfig(config);
    ds = await checkpointDataset(r.data, meta, r.checkpointDir, r.load);
    checkSampleShape(model.inputShape, ds.sampleShape, r.checkpointDir, `data "${ds.source}"`);
    const normalization = meta.normalization ?? DEFAULT_NORMALIZATION;
    x = { model, config: { ...config, normalization }, normalization, numClasses: meta.numClasses, classNames: meta.classNames, withWeights: true, bnlabVersion: BNLAB_VERSION };
    files.push([WEIGHTS_FILE, await readFile((await loadCheckpoint(r.checkpointDir)).weightsFile)]);
  } else {
    ds = await loadDataset(r.data ?? 'digits', r.load);
    const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, spec: r.spec ?? 'seed', normalization: DEFAULT_NORMALIZATION };
    x = { model: modelForConfig(config, ds), config, normalization: DEFAULT_NORMALIZATION, numClasses: ds.numClasses, classNames: ds.classNames, withWeights: false, bnlabVersion: BNLAB_VERSION };
  }
  const dataset = absoluteSource(ds.source);
  const script = pytorchScript({ ...x, dataset, data: scriptData(dataset, ds, files) });
  files.push(['train.py', script['train.py']], ['README.md', script['README.md']]);
  await writeFilesAtomic(files.map(([f, d]) => [join(r.outDir, f), d]));
  return files.map(([f]) => f);
}

/** Where train.py finds the data; digits and synthetic sets are written beside it as IDX files (added to `files`). */
function scriptData(source: string, ds: Dataset, files: [string, Uint8Array | string][]): ScriptData {
  const src = parseDataSource(source);
  switch (src.kind) {
    case 'mnist':
    case 'fashion-mnist':
      return { kind: 'idx-dir', dir: src.dir };
    case 'cifar10':
      return { kind: 'cifar10', dir: src.dir };
    case 'idx':
      return { kind: 'idx', files: [src.trainImages, src.trainLabels, ...(src.testImages && src.testLabels ? [src.testImages, src.testLabels] : [])] };
    default: {
      [...splitFiles(ds, ds.train), ...splitFiles(ds, ds.test)].forEach(([dims, values], i) => files.push([`data/${IDX_NAMES[i]}.gz`, gzipSync(encodeIdx(dims, values))]));
      return { kind: 'idx-dir', dir: 'data' };
    }
  }
}

/** A split's images and labels as IDX arrays: [N, H, W] for one-channel images (the MNIST layout), else [N, ...sample]. */
function splitFiles(ds: Dataset, split: Split): [number[], Uint8Array | Float32Array][] {
  const shape = ds.sampleShape.length === 3 && ds.sampleShape[0] === 1 ? ds.sampleShape.slice(1) : ds.sampleShape;
  if (split.count === 0) throw new UserError(`data "${ds.source}" has an empty ${split === ds.train ? 'training' : 'test'} split`);
  return [[[split.count, ...shape], split.pixels], [[split.count], split.labels]];
}
