/**
 * Validation: the ONNX model under onnxruntime-web against the engine in eval mode, batch by
 * batch over held-out samples: max and mean |difference| of the logits and top-1 agreement.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { onnx } from 'onnx-proto';
import { DEFAULT_NORMALIZATION, gatherBatch, type Normalization, type Split } from '../data/dataset';
import { checkpointDataset } from '../data/load';
import { modelFromCheckpoint, type CheckpointMeta } from '../engine/checkpoint';
import { UserError } from '../engine/errors';
import type { Sequential } from '../engine/model';
import { EVAL_BATCH } from '../engine/plan';
import { Tensor } from '../engine/tensor';
import { openSession, type OnnxSession } from './ort';

export const DEFAULT_ATOL = 1e-4;

/** Held-out inputs: `x` is [n, ...sampleShape] float32, already normalized. */
export interface InputBatch {
  x: Float32Array;
  n: number;
}

export interface ValidationResult {
  samples: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Fraction of samples whose argmax agrees (1 = 100%). */
  top1Agreement: number;
  disagreements: number;
  atol: number;
  passed: boolean;
}

/** Runs each model in `variants` and the engine (eval mode) on every batch and compares their outputs. */
export async function validateVariants(variants: Uint8Array[], model: Sequential, batches: Iterable<InputBatch>, atol = DEFAULT_ATOL): Promise<ValidationResult[]> {
  const sessions: OnnxSession[] = [];
  try {
    for (const bytes of variants) sessions.push(await openOnnx(bytes));
    return await compareSessions(sessions, model, batches, atol);
  } finally {
    for (const s of sessions) await s.release();
  }
}

/** openSession with onnxruntime's own complaint about the file turned into one line. */
async function openOnnx(bytes: Uint8Array, file = 'the ONNX model'): Promise<OnnxSession> {
  try {
    return await openSession(bytes);
  } catch (e) {
    const msg = oneLine(e);
    throw new UserError(`onnxruntime cannot load ${file}: ${msg}`);
  }
}

/** The held-out samples: the test split of `source` (default: the checkpoint's data set, else digits). */
export async function heldOutBatches(
  model: Sequential,
  meta: CheckpointMeta,
  checkpointDir: string,
  source?: string,
  samples?: number,
): Promise<{ source: string; count: number; batches: Iterable<InputBatch> }> {
  const src = source ?? meta.dataset ?? 'digits';
  const ds = await checkpointDataset(source, meta, checkpointDir);
  const want = model.inputShape;
  if (ds.sampleShape.length !== want.length || ds.sampleShape.some((d, i) => d !== want[i])) {
    throw new UserError(`data "${src}" has samples [${ds.sampleShape.join(', ')}] but the model expects [${want.join(', ')}]`);
  }
  if (samples !== undefined && (!Number.isInteger(samples) || samples < 1)) throw new UserError(`samples must be a positive integer, got ${samples}`);
  if (ds.test.count === 0) throw new UserError(`data "${src}" has no test samples to validate on`);
  const norm = meta.normalization ?? DEFAULT_NORMALIZATION;
  // gathered lazily, batch by batch, on each pass
  const batches = { [Symbol.iterator]: () => splitBatches(ds.test, ds.sampleShape, norm, samples) };
  return { source: src, count: Math.min(samples ?? Infinity, ds.test.count), batches };
}

export interface ValidateOnnxOptions {
  onnxFile: string;
  checkpointDir: string;
  /** Data source (default: the checkpoint's data set, else digits). */
  data?: string;
  /** Test samples to use (default: the whole test split). */
  samples?: number;
  atol?: number;
}

export interface ValidateReport extends ValidationResult {
  onnxFile: string;
  data: string;
  /** The spec recorded in the ONNX metadata, when present. */
  onnxSpec?: string;
  /** The checkpoint the ONNX file was exported from (its metadata), when recorded. */
  onnxCheckpoint?: string;
  checkpointDir: string;
  checkpointSpec: string;
}

/** The checkpoint an ONNX file says it was exported from, if it says (undefined for unreadable files). */
export async function exportedFrom(onnxFile: string): Promise<string | undefined> {
  try {
    return onnx.ModelProto.decode(await readFile(onnxFile)).metadataProps?.find((p) => p.key === 'checkpoint')?.value ?? undefined;
  } catch {
    return undefined;
  }
}

/** One line saying that the ONNX file and the checkpoint do not belong together, or undefined when nothing says so. */
export function mismatchNote(r: ValidateReport): string | undefined {
  if (r.onnxCheckpoint && resolve(r.onnxCheckpoint) !== resolve(r.checkpointDir))
    return `note: ${r.onnxFile} was exported from checkpoint ${r.onnxCheckpoint}, not ${r.checkpointDir}: model and checkpoint differ`;
  if (r.onnxSpec !== undefined && r.onnxSpec !== r.checkpointSpec) return `note: ${r.onnxFile} was exported from "${r.onnxSpec}", the checkpoint is "${r.checkpointSpec}"`;
  return undefined;
}

/** The lines `bnlab validate` prints: the mismatch note, if any, then the result. */
export function formatValidateReport(r: ValidateReport): string[] {
  const note = mismatchNote(r);
  return [...(note ? [note] : []), `${r.onnxFile} vs ${r.checkpointDir} on ${r.data}: ${formatValidation(r)}`];
}

/** Validates an ONNX file against a checkpoint evaluated by the engine. Bad input throws a UserError. */
export async function validateOnnx(opts: ValidateOnnxOptions): Promise<ValidateReport> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(opts.onnxFile);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `ONNX file "${opts.onnxFile}" does not exist` : `cannot read "${opts.onnxFile}" (${code})`);
  }
  let onnxSpec: string | undefined;
  let onnxCheckpoint: string | undefined;
  let onnxSample: number[] | undefined;
  try {
    const proto = onnx.ModelProto.decode(bytes);
    const metadata = (key: string) => proto.metadataProps?.find((p) => p.key === key)?.value ?? undefined;
    onnxSpec = metadata('spec');
    onnxCheckpoint = metadata('checkpoint');
    const dims = proto.graph?.input?.[0]?.type?.tensorType?.shape?.dim;
    if (dims && dims.length > 1 && dims.slice(1).every((d) => (d as onnx.TensorShapeProto.Dimension).value === 'dimValue')) onnxSample = dims.slice(1).map((d) => Number(d.dimValue));
  } catch (e) {
    throw new UserError(`"${opts.onnxFile}" is not an ONNX model (${(e as Error).message})`);
  }
  const { model, meta } = await modelFromCheckpoint(opts.checkpointDir);
  if (onnxSample && onnxSample.join() !== model.inputShape.join()) {
    throw new UserError(`"${opts.onnxFile}" takes samples [${onnxSample.join(', ')}], but checkpoint "${opts.checkpointDir}" expects [${model.inputShape.join(', ')}]: it is not this checkpoint's model`);
  }
  const held = await heldOutBatches(model, meta, opts.checkpointDir, opts.data, opts.samples);
  const session = await openOnnx(bytes, `"${opts.onnxFile}"`);
  let result: ValidationResult;
  try {
    result = (await compareSessions([session], model, held.batches, opts.atol ?? DEFAULT_ATOL))[0];
  } finally {
    await session.release();
  }
  return { ...result, onnxFile: opts.onnxFile, data: held.source, onnxSpec, onnxCheckpoint, checkpointDir: opts.checkpointDir, checkpointSpec: model.describe() };
}

/** Compares each session with the engine (eval mode) on every batch; the engine runs once per batch. */
export async function compareSessions(sessions: OnnxSession[], model: Sequential, batches: Iterable<InputBatch>, atol = DEFAULT_ATOL): Promise<ValidationResult[]> {
  const wasTraining = model.training;
  model.eval();
  const acc = sessions.map(() => ({ max: 0, sum: 0, count: 0, disagree: 0 }));
  let samples = 0;
  try {
    for (const { x, n } of batches) {
      const shape = [n, ...model.inputShape];
      const expected = model.forward(new Tensor(shape, x)).data.slice();
      const k = expected.length / n;
      for (let s = 0; s < sessions.length; s++) {
        const got = await sessions[s].run(x, shape).then(
          (r) => r.data,
          (e) => {
            throw new UserError(`onnxruntime failed on input [${shape.join(', ')}]: ${oneLine(e)}`);
          },
        );
        if (got.length !== expected.length) {
          throw new UserError(`the ONNX model returned ${got.length} values for ${n} samples, the engine ${expected.length}: it is not this checkpoint's model`);
        }
        const a = acc[s];
        for (let i = 0; i < got.length; i++) {
          let d = Math.abs(got[i] - expected[i]);
          if (Number.isNaN(d)) d = Infinity; // a NaN on either side fails
          if (d > a.max) a.max = d;
          a.sum += d;
        }
        a.count += got.length;
        for (let r = 0; r < n; r++) if (argmax(got, r * k, k) !== argmax(expected, r * k, k)) a.disagree++;
      }
      samples += n;
    }
  } finally {
    model.training = wasTraining;
  }
  return acc.map((a) => {
    const meanAbsDiff = a.count ? a.sum / a.count : 0;
    return {
      samples,
      maxAbsDiff: a.max,
      meanAbsDiff,
      top1Agreement: samples ? (samples - a.disagree) / samples : 1,
      disagreements: a.disagree,
      atol,
      passed: samples > 0 && a.max <= atol,
    };
  });
}

/** Batches of `split` samples [from, from + count), normalized like training inputs. */
export function* splitBatches(split: Split, sampleShape: readonly number[], norm: Normalization, count = split.count, batchSize = EVAL_BATCH): Generator<InputBatch> {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const total = Math.min(count, split.count);
  const indices = Int32Array.from({ length: total }, (_, i) => i);
  const labels = new Int32Array(batchSize);
  for (let from = 0; from < total; from += batchSize) {
    const to = Math.min(total, from + batchSize);
    // a batch of one would break batch-statistics BN (track_running_stats off): fold it into the previous one
    const end = total - to === 1 ? total : to;
    const x = new Float32Array((end - from) * size);
    gatherBatch(split, sampleShape, indices, from, end, norm, x, end - from > batchSize ? new Int32Array(end - from) : labels);
    yield { x, n: end - from };
    if (end === total) return;
  }
}

/** onnxruntime's message, its lines joined (its first line alone can end mid-sentence). */
function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e).trim().replace(/\s*\n\s*/g, ' ');
}

function argmax(v: Float32Array, from: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[from + j] > v[from + best]) best = j;
  return best;
}

export function formatValidation(r: ValidationResult): string {
  const pct = (100 * r.top1Agreement).toFixed(2);
  return (
    `${r.samples} samples: max |diff| ${r.maxAbsDiff.toExponential(2)}, mean |diff| ${r.meanAbsDiff.toExponential(2)}, ` +
    `top-1 agreement ${pct}% (${r.disagreements} differ) — ${r.passed ? 'PASS' : 'FAIL'} (atol ${r.atol})`
  );
}
