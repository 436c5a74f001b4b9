/**
 * Checkpoint directory: model.safetensors (PyTorch state_dict names/layouts) + model.json (spec,
 * sample shape, classes, normalization, training config, BN Lab version). Node only (node:fs).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { version as BNLAB_VERSION } from '../../package.json';
import type { Normalization } from '../data/dataset';
import { UserError } from './errors';
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
  createdAt: string;
}

export type CheckpointInfo = Omit<CheckpointMeta, 'format' | 'bnlabVersion' | 'spec' | 'createdAt' | 'sampleShape'>;

/** Writes `data` to a temp file beside `file`, then renames it over `file`. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  if (existsSync(file) && statSync(file).isDirectory()) throw new UserError(`"${file}" is a folder; give a file name`);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
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

/** Saves dir/model.safetensors then dir/model.json, each atomically. Returns dir. */
export async function saveCheckpoint(dir: string, model: Sequential, info: CheckpointInfo): Promise<string> {
  const meta = makeMeta(model, info);
  const bytes = encodeSafetensors(await model.readStateDict(), { format: 'pt', bnlab: BNLAB_VERSION, spec: meta.spec });
  await writeFileAtomic(join(dir, WEIGHTS_FILE), bytes);
  await writeFileAtomic(join(dir, META_FILE), JSON.stringify(meta, null, 2) + '\n');
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
