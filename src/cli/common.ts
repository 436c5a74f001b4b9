/** Shared CLI helpers: exit codes, argument parsers (one clear line on bad values), user-facing errors, data loading. */
import { InvalidArgumentError } from 'commander';
import type { Dataset, Normalization } from '../data/dataset';
import { UserError } from '../engine/errors';

/** The exit codes of `bnlab` (README, "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** Training failed or diverged, or an internal error. */
  failed: 1,
  /** Bad flags: unknown, malformed, conflicting or without effect. */
  usage: 2,
  /** Bad input: a file, data set, checkpoint, model spec or output path that cannot be used. */
  input: 3,
  /** export / validate: the ONNX model is outside the tolerance. */
  validation: 4,
  sigint: 130,
  sigterm: 143,
} as const;

/** A flag combination that cannot work: exits with EXIT.usage. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Errors whose message is meant for the user: printed as one line, no stack trace. */
export function isUserFacing(e: unknown): e is Error {
  return e instanceof UserError || (e instanceof Error && ['DataError', 'OpError', 'InvalidArgumentError', 'GpuError'].includes(e.name)) || isFsError(e);
}

/** A failed file-system call on a path (ENOTDIR, EACCES, ENOSPC, ...): its message names the call and the path. */
function isFsError(e: unknown): e is Error {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).path === 'string';
}

/** Rejects a value that is a nonzero number in writing but 0 as a double (1e-1000). */
function checkUnderflow(v: string, n: number): void {
  if (n === 0 && /[1-9]/.test(v.split(/e/i)[0])) throw new InvalidArgumentError(`${v.trim()} is too small: it rounds to 0.`);
}

/** A value that must not be empty (a data source, a path). */
export function nonEmptyArg(what: string): (v: string) => string {
  return (v) => {
    if (v.trim() === '') throw new InvalidArgumentError(`expected ${what}, got an empty string.`);
    return v;
  };
}

/** A size in bytes: 8G, 512M, 1.5G, or a plain number of bytes. */
export function bytesArg(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(v);
  const n = m ? Number(m[1]) * 1024 ** ' kmgt'.indexOf(m[2].toLowerCase() || ' ') : NaN;
  if (!(n >= 1 && Number.isFinite(n))) throw new InvalidArgumentError('expected a size such as 8G, 512M or 1073741824.');
  return n;
}

export function intArg(min: number, max = Infinity): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(max === Infinity ? `expected an integer ≥ ${min}.` : `expected an integer in [${min}, ${max}].`);
    return n;
  };
}

export function numArg(min: number, max = Infinity, range = max === Infinity ? `a number ≥ ${min}` : `a number in [${min}, ${max}]`): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected ${range}.`);
    checkUnderflow(v, n);
    return n;
  };
}

export function positiveArg(v: string): number {
  const n = Number(v);
  checkUnderflow(v, n);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0.');
  return n;
}

/** bn momentum: a number in [0, 1] or `none` (cumulative average). */
/** `none` stays a string: commander turns a parser's null into ''. */
export function momentumOrNone(v: string): number | 'none' {
  return v.trim().toLowerCase() === 'none' ? 'none' : numArg(0, 1, 'a number in [0, 1] or none')(v);
}

export const NORMALIZE_HELP = 'unit (x/255, default) | raw (x) | standard (per-channel mean/std of the training set, after /255) | mean=M[,M…],std=S[,S…] (after /255)';

/** Parses --normalize; `standard` needs the data set, so it resolves later (see resolveNormalization). */
export function normalizeArg(v: string): string {
  const s = v.trim().toLowerCase();
  if (['unit', 'raw', 'standard'].includes(s)) return s;
  parseMeanStd(s, null);
  return s;
}

function parseMeanStd(s: string, channels: number | null): Normalization {
  const bad = (why: string) => new InvalidArgumentError(`${why}; expected ${NORMALIZE_HELP}.`);
  const m = /^mean=(.+),std=(.+)$/.exec(s);
  if (!m) throw bad(`cannot read "${s}"`);
  const [mean, std] = [m[1], m[2]].map((list) => list.split(',').map((x) => (x.trim() === '' ? NaN : Number(x))));
  if ([...mean, ...std].some((x) => !Number.isFinite(x)) || std.some((x) => x <= 0)) throw bad(`mean must be numbers and std numbers > 0 in "${s}"`);
  if (mean.length !== std.length) throw bad(`mean has ${mean.length} values but std has ${std.length}`);
  if (channels !== null && mean.length !== channels && mean.length !== 1) throw new UserError(`--normalize gives ${mean.length} means but the data has ${channels} channels`);
  const expand = (a: number[]) => (channels !== null && a.length === 1 ? new Array<number>(channels).fill(a[0]) : a);
  return { scale: 1 / 255, mean: expand(mean), std: expand(std) };
}

/** Turns a --normalize value into the Normalization for this data set. */
export function resolveNormalization(v: string, ds: Dataset): Normalization {
  const channels = ds.sampleShape.length === 3 ? ds.sampleShape[0] : 1;
  switch (v) {
    case 'unit':
      return { scale: 1 / 255 };
    case 'raw':
      return { scale: 1 };
    case 'standard': {
      const { pixels, count } = ds.train;
      const plane = pixels.length / count / channels;
      const mean: number[] = [], std: number[] = [];
      for (let c = 0; c < channels; c++) {
        let s = 0, s2 = 0;
        for (let i = 0; i < count; i++) {
          const o = (i * channels + c) * plane;
          for (let p = 0; p < plane; p++) {
            const x = pixels[o + p] / 255;
            s += x;
            s2 += x * x;
          }
        }
        const n = count * plane, m = s / n;
        mean.push(m);
        std.push(Math.sqrt(Math.max(s2 / n - m * m, 1e-12)));
      }
      return { scale: 1 / 255, mean, std };
    }
    default:
      return parseMeanStd(v, channels);
  }
}

/** Throws unless `shape` is the model's per-sample input shape. */
export function checkSampleShape(modelShape: readonly number[], shape: readonly number[], checkpoint: string, what: string): void {
  if (modelShape.length !== shape.length || modelShape.some((d, i) => d !== shape[i])) {
    throw new UserError(`checkpoint "${checkpoint}" expects samples [${modelShape.join(', ')}], but ${what} has [${shape.join(', ')}]`);
  }
}
