import { DataError } from './errors';

export type SyntheticKind = 'shapes' | 'blobs' | 'spirals';

/** A parsed `--data` string. Paths are as written (resolved against the cwd when loading). */
export type DataSource =
  | { kind: 'digits' }
  | { kind: 'mnist' | 'fashion-mnist'; dir: string }
  | { kind: 'idx'; trainImages: string; trainLabels: string; testImages?: string; testLabels?: string; classes?: number }
  | { kind: 'cifar10'; dir: string }
  | {
      kind: 'synthetic';
      shape: SyntheticKind;
      /** Train / test sample counts. */
      n: number;
      test: number;
      seed: number;
      classes: number;
      /** Feature dimension (blobs only). */
      dim: number;
    };

export const DATA_SOURCE_HELP =
  'digits (default, embedded) | mnist:DIR | fashion-mnist:DIR | idx:TRAIN_IMAGES,TRAIN_LABELS[,TEST_IMAGES,TEST_LABELS][,classes=N] | ' +
  'cifar10:DIR | synthetic[:shapes|blobs|spirals][,n=N,test=N,seed=N,classes=N,dim=N]';

const SYNTHETIC_KINDS: readonly SyntheticKind[] = ['shapes', 'blobs', 'spirals'];
const SYNTHETIC_DEFAULTS: Record<SyntheticKind, { n: number; test: number; classes: number; dim: number }> = {
  shapes: { n: 2000, test: 500, classes: 10, dim: 0 },
  blobs: { n: 1000, test: 250, classes: 3, dim: 2 },
  spirals: { n: 1500, test: 300, classes: 3, dim: 2 },
};
/** Upper bound on generated samples (train + test): keeps a typo from allocating gigabytes. */
export const MAX_SYNTHETIC_SAMPLES = 200_000;

/** Parses a data source string; throws DataError naming what is wrong. Loads nothing. */
export function parseDataSource(source: string): DataSource {
  const s = source.trim();
  const bad = (why: string) => new DataError(`Bad data source '${source}': ${why}. Expected ${DATA_SOURCE_HELP}`);
  if (s === '' || s === 'digits') return { kind: 'digits' };
  const colon = s.indexOf(':');
  const head = (colon < 0 ? s.split(',')[0] : s.slice(0, colon)).toLowerCase();
  const rest = colon < 0 ? s.slice(head.length) : s.slice(colon + 1);
  switch (head) {
    case 'mnist':
    case 'fashion-mnist':
    case 'cifar10': {
      if (colon < 0 || rest.trim() === '') throw bad(`'${head}' needs a folder, e.g. ${head}:/path/to/folder`);
      return head === 'cifar10' ? { kind: 'cifar10', dir: rest.trim() } : { kind: head, dir: rest.trim() };
    }
    case 'idx': {
      const parts = rest.split(',').map((p) => p.trim());
      const paths = parts.filter((p) => !/^classes=/i.test(p));
      const opt = parts.find((p) => /^classes=/i.test(p));
      if (paths.some((p) => p === '') || (paths.length !== 2 && paths.length !== 4))
        throw bad('idx: needs 2 or 4 comma-separated files (train images, train labels[, test images, test labels])');
      const classes = opt === undefined ? undefined : parseCount(opt.slice(8), 'classes', 2, 256, bad);
      const [trainImages, trainLabels, testImages, testLabels] = paths;
      return { kind: 'idx', trainImages, trainLabels, testImages, testLabels, classes };
    }
    case 'synthetic': {
      const parts = rest.split(',').map((p) => p.trim()).filter((p) => p !== '');
      let shape: SyntheticKind = 'shapes';
      if (parts.length > 0 && !parts[0].includes('=')) {
        const k = parts.shift()!.toLowerCase() as SyntheticKind;
        if (!SYNTHETIC_KINDS.includes(k)) throw bad(`unknown synthetic kind '${k}' (one of ${SYNTHETIC_KINDS.join(', ')})`);
        shape = k;
      }
      const d = SYNTHETIC_DEFAULTS[shape];
      const out = { kind: 'synthetic' as const, shape, n: d.n, test: d.test, seed: 1, classes: d.classes, dim: d.dim };
      for (const p of parts) {
        const m = /^([a-z]+)=(.*)$/i.exec(p);
        const key = m?.[1].toLowerCase();
        if (!m || !key || !['n', 'test', 'seed', 'classes', 'dim'].includes(key)) throw bad(`unknown option '${p}' (n, test, seed, classes, dim)`);
        if (key === 'seed') out.seed = parseCount(m[2], key, 0, 2 ** 32 - 1, bad);
        else if (key === 'classes') out.classes = parseCount(m[2], key, 2, shape === 'shapes' ? 10 : 100, bad);
        else if (key === 'dim') {
          if (shape !== 'blobs') throw bad(`'dim' applies to blobs only`);
          out.dim = parseCount(m[2], key, 1, 4096, bad);
        } else out[key as 'n' | 'test'] = parseCount(m[2], key, key === 'n' ? 1 : 0, MAX_SYNTHETIC_SAMPLES, bad);
      }
      if (out.n + out.test > MAX_SYNTHETIC_SAMPLES) throw bad(`n + test must be at most ${MAX_SYNTHETIC_SAMPLES}`);
      return out;
    }
    case 'digits':
      throw bad(`'digits' takes no options`);
    default:
      throw bad(`unknown kind '${head}'`);
  }
}

function parseCount(text: string, name: string, min: number, max: number, bad: (why: string) => DataError): number {
  const v = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw bad(`${name} must be an integer in ${min}..${max}, got '${text}'`);
  return v;
}
