/**
 * Checkpoint directory: model.safetensors (PyTorch state_dict names/layouts) + model.json (spec,
 * sample shape, classes, normalization, training config, BN Lab version). Node only (node:fs).
 */
import { existsSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { version as BNLAB_VERSION } from '../../package.json';
import type { Normalization } from '../data/dataset';
import { UserError, WriteError } from './errors';
import { checkStateDict } from './checkpoint-check';
import { fileKind, makeDirs, writeTarget } from './fs-paths';
import { buildModel, type Sequential, type StateDict } from './model';
import { decodeSafetensors, encodeSafetensors } from './safetensors';

export { BNLAB_VERSION };
export const WEIGHTS_FILE = 'model.safetensors';
export const META_FILE = 'model.json';

export interface CheckpointMeta {
  format: 'bnlab-checkpoint';
  bnlabVersion: string;
  /** Canonical spec (Sequential.describe()): rebuilds the model without other options. */
  spec: string;
  sampleShape: number[];
  numClasses: number;
  classNames?: string[];
  normalization: Normalization;
  dataset?: string;
  /** The training config as given (CLI flags / trainer config). */
  training?: Record<string, unknown>;
  step?: number;
  epoch?: number;
  /** Set by `bnlab recalibrate`: the running statistics were recomputed from this checkpoint's weights. */
  recalibration?: { from: string; batches: number; batchSize: number; seed: number };
  createdAt: string;
}

export type CheckpointInfo = Omit<CheckpointMeta, 'format' | 'bnlabVersion' | 'spec' | 'createdAt' | 'sampleShape'>;

/**
 * Writes each file's data to a temp file beside its real path (symlinks followed), then renames
 * them all into place, so a failed write (a full disk) leaves every old file whole. Only regular
 * files are replaced: a folder, device, FIFO or socket at a path is refused.
 */
export async function writeFilesAtomic(files: [file: string, data: Uint8Array | string][]): Promise<void> {
  const staged: [tmp: string, target: string][] = [];
  try {
    for (const [file, data] of files) {
      const target = writeTarget(file);
      const st = existsSync(target) ? statSync(target) : null;
      if (st && !st.isFile()) throw new UserError(`"${file}" is a ${fileKind(st)}, not a regular file; give a file name`);
      makeDirs(dirname(target));
      const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      staged.push([tmp, target]);
      await writeFile(tmp, data).catch((e) => {
        throw writeError(e, file);
      });
    }
    for (const [tmp, target] of staged) await rename(tmp, target);
  } catch (e) {
    await Promise.all(staged.map(([tmp]) => rm(tmp, { force: true })));
    throw e;
  }
}

export function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  return writeFilesAtomic([[file, data]]);
}

/** A failed write as one line naming the file; a full disk is said in words. */
export function writeError(e: unknown, file: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new WriteError(`disk full while writing ${file}`);
  return code ? new WriteError(`cannot write ${file} (${code})`) : (e as Error);
}

export function makeMeta(model: Sequential, info: CheckpointInfo): CheckpointMeta {
  return {
    format: 'bnlab-checkpoint',
    bnlabVersion: BNLAB_VERSION,
    spec: model.describe(),
    sampleShape: [...model.inputShape],
    ...info,
    createdAt: new Date().toISOString(),
  };
}

/** Saves dir/model.safetensors and dir/model.json, atomically as a pair. Returns dir. */
export async function saveCheckpoint(dir: string, model: Sequential, info: CheckpointInfo): Promise<string> {
  const meta = makeMeta(model, info);
  const bytes = encodeSafetensors(await model.readStateDict(), { format: 'pt', bnlab: BNLAB_VERSION, spec: meta.spec });
  await writeFilesAtomic([[join(dir, WEIGHTS_FILE), bytes], [join(dir, META_FILE), JSON.stringify(meta, null, 2) + '\n']]);
  return dir;
}

export interface LoadedCheckpoint {
  stateDict: StateDict;
  /** model.json beside the weights, when present. */
  meta: CheckpointMeta | null;
  weightsFile: string;
}

/** Loads a checkpoint directory, or a bare .safetensors file (meta from a sibling model.json if any). */
export async function loadCheckpoint(path: string): Promise<LoadedCheckpoint> {
  if (!existsSync(path)) throw new UserError(`checkpoint "${path}" does not exist`);
  const isDir = statSync(path).isDirectory();
  const weightsFile = isDir ? join(path, WEIGHTS_FILE) : path;
  if (isDir && !existsSync(weightsFile)) throw new UserError(`checkpoint directory "${path}" has no ${WEIGHTS_FILE}`);
  const { tensors } = decodeSafetensors(await readFile(weightsFile), weightsFile);
  checkStateDict(tensors, weightsFile);
  const metaFile = join(isDir ? path : dirname(path), META_FILE);
  let meta: CheckpointMeta | null = null;
  if (existsSync(metaFile)) {
    try {
      meta = JSON.parse(await readFile(metaFile, 'utf8'));
    } catch {
      throw new UserError(`${metaFile}: not valid JSON`);
    }
  }
  if (isDir && !meta) throw new UserError(`checkpoint directory "${path}" has no ${META_FILE}`);
  return { stateDict: tensors, meta, weightsFile };
}

/** Rebuilds the model a checkpoint describes and loads its weights. */
export async function modelFromCheckpoint(path: string): Promise<{ model: Sequential; meta: CheckpointMeta }> {
  const ck = await loadCheckpoint(path);
  if (!ck.meta) throw new UserError(`"${path}" has no ${META_FILE} beside it, so the model is unknown; pass the checkpoint directory`);
  const { meta } = ck;
  const bad = (what: string) => new UserError(`${META_FILE} in "${path}": ${what}`);
  if (typeof meta !== 'object' || Array.isArray(meta) || typeof meta.spec !== 'string' || !Array.isArray(meta.sampleShape)) throw new UserError(`${META_FILE} in "${path}" lacks spec or sampleShape`);
  if (!meta.sampleShape.every((d) => Number.isInteger(d) && d >= 1)) throw bad(`sampleShape ${JSON.stringify(meta.sampleShape)} is not a list of integers ≥ 1`);
  if (meta.dataset !== undefined && typeof meta.dataset !== 'string') throw bad(`dataset ${JSON.stringify(meta.dataset)} is not a string`);
  const norm = meta.normalization as unknown;
  if (norm !== undefined) {
    const channels = meta.sampleShape.length === 3 ? meta.sampleShape[0] : 1;
    const n = norm as Partial<Normalization> | null;
    const list = (a: unknown, min: number) => a === undefined || (Array.isArray(a) && a.length === channels && a.every((x) => Number.isFinite(x) && x >= min));
    if (typeof n !== 'object' || n === null || !(Number.isFinite(n.scale) && n.scale! > 0) || !list(n.mean, -Infinity) || !list(n.std, Number.MIN_VALUE) || (n.mean === undefined) !== (n.std === undefined)) {
      throw bad(`normalization ${JSON.stringify(norm)} is not {scale > 0, mean and std: ${channels} numbers each (std > 0)}`);
    }
  }
  const model = buildModel(meta.spec, { sampleShape: meta.sampleShape, numClasses: meta.numClasses });
  model.loadStateDict(ck.stateDict);
  return { model: model.eval(), meta };
}
