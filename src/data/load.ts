import { existsSync, promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Dataset, Split } from './dataset';
import { parseDigitsBin } from './digits';
import { DataError } from './errors';
import { checkLabels, parseIdx, type IdxArray } from './idx';
import { parseDataSource, type DataSource } from './source';
import { generateSynthetic } from './synthetic';

export { DataError } from './errors';
export { DATA_SOURCE_HELP, parseDataSource, type DataSource } from './source';

export interface LoadOptions {
  /** Reuse an already decoded dataset for the same source in this process (default true). */
  cache?: boolean;
  /** Where the embedded digits live (default: media/digits.bin in the package root). */
  digitsPath?: string;
  /** Base for relative paths in the source (default: process.cwd()). */
  cwd?: string;
}

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
/** Inferred class counts above this are taken as garbage labels unless declared with `classes=N`. */
const MAX_INFERRED_CLASSES = 100;

const cache = new Map<string, Promise<Dataset>>();

/**
 * Loads (and decodes once per process) a data set: see DATA_SOURCE_HELP for the source strings.
 * Every fault in the source or its files is a DataError naming the file and the fault.
 * Cached data sets are shared between callers: treat them as read-only.
 */
export function loadDataset(sourceIn = 'digits', opts: LoadOptions = {}): Promise<Dataset> {
  const source = sourceIn.trim() || 'digits';
  let parsed: DataSource;
  try {
    parsed = resolvePaths(parseDataSource(source), opts.cwd ?? process.cwd());
  } catch (e) {
    return Promise.reject(e);
  }
  const key = JSON.stringify([parsed, parsed.kind === 'digits' ? digitsFile(opts) : '']);
  if (opts.cache === false) return loadParsed(parsed, source, opts);
  let p = cache.get(key);
  if (!p) {
    p = loadParsed(parsed, source, opts);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/**
 * The data set to evaluate a checkpoint on: `source` when given, else the one recorded in its
 * model.json (else digits). A recorded one that no longer loads says where it came from.
 */
export async function checkpointDataset(source: string | undefined, meta: { dataset?: string }, checkpoint: string, opts?: LoadOptions): Promise<Dataset> {
  if (source !== undefined || !meta.dataset) return loadDataset(source ?? 'digits', opts);
  try {
    return await loadDataset(meta.dataset, opts);
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    throw new DataError(`${e.message} (the data set "${meta.dataset}" is recorded in checkpoint "${checkpoint}"; pass --data to use another)`);
  }
}

/** Forgets every cached data set (lets their memory go). */
export function clearDatasetCache(): void {
  cache.clear();
}

async function loadParsed(src: DataSource, source: string, opts: LoadOptions): Promise<Dataset> {
  switch (src.kind) {
    case 'digits': {
      const file = digitsFile(opts);
      if (!existsSync(file)) throw new DataError(`The embedded digits file ${file} is missing: run \`npm run build\` in the BN Lab folder to create it`);
      return parseDigitsBin(await readBytes(file), file, source);
    }
    case 'synthetic':
      return generateSynthetic(src, source);
    case 'mnist':
    case 'fashion-mnist': {
      const [trI, trL, teI, teL] = await findIdxFiles(src.dir);
      const ds = await loadIdxPairs(source, trI, trL, teI, teL, 10);
      return { ...ds, classNames: src.kind === 'fashion-mnist' ? FASHION_CLASSES : '0123456789'.split('') };
    }
    case 'idx':
      return loadIdxPairs(source, src.trainImages, src.trainLabels, src.testImages, src.testLabels, src.classes);
    case 'cifar10':
      return loadCifar10(src.dir, source);
  }
}

/** The source with its paths made absolute (as recorded in a checkpoint, so it loads from any folder). */
export function absoluteSource(source: string, cwd = process.cwd()): string {
  const src = resolvePaths(parseDataSource(source), cwd);
  switch (src.kind) {
    case 'mnist':
    case 'fashion-mnist':
    case 'cifar10':
      return `${src.kind}:${src.dir}`;
    case 'idx': {
      const files = [src.trainImages, src.trainLabels, ...(src.testImages && src.testLabels ? [src.testImages, src.testLabels] : [])];
      return `idx:${files.join(',')}${src.classes !== undefined ? `,classes=${src.classes}` : ''}`;
    }
    default:
      return source.trim();
  }
}

function resolvePaths(src: DataSource, cwd: string): DataSource {
  switch (src.kind) {
    case 'mnist':
    case 'fashion-mnist':
    case 'cifar10':
      return { ...src, dir: resolve(cwd, src.dir) };
    case 'idx': {
      const r = (p?: string) => (p === undefined ? undefined : resolve(cwd, p));
      return { ...src, trainImages: r(src.trainImages)!, trainLabels: r(src.trainLabels)!, testImages: r(src.testImages), testLabels: r(src.testLabels) };
    }
    default:
      return src;
  }
}

/** media/digits.bin under the nearest folder above this module holding package.json (src/data/ under tsx, dist/ when bundled). */
function digitsFile(opts: LoadOptions): string {
  if (opts.digitsPath) return resolve(opts.digitsPath);
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'media', 'digits.bin');
}

/** Reads a whole file; gzip (by its magic bytes, whatever the name) is inflated into one buffer. */
export async function readBytes(file: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await fsp.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? `${file}: file not found` : `${file}: cannot read (${code ?? (e as Error).message})`);
  }
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return plain(raw);
  try {
    return plain(await promisify(gunzip)(raw));
  } catch (e) {
    throw new DataError(`${file}: unreadable gzip data (${(e as Error).message})`);
  }
}

/** A plain Uint8Array view of a Buffer (so `.slice` etc. behave like typed arrays). */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** The standard MNIST-style IDX file names of a folder (mnist:DIR, fashion-mnist:DIR). */
export const IDX_NAMES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/** The four standard IDX files in `dir`, raw or .gz (also the `train-images.idx3-ubyte` spelling). */
async function findIdxFiles(dir: string): Promise<string[]> {
  await checkFolder(dir);
  return IDX_NAMES.map((name) => {
    const dotted = name.replace(/-(idx\d)/, '.$1');
    const found = [name, `${name}.gz`, dotted, `${dotted}.gz`].map((n) => join(dir, n)).find((f) => existsSync(f));
    if (!found) throw new DataError(`${dir}: missing ${name}[.gz]; expected the four IDX files ${IDX_NAMES.join(', ')} (raw or .gz)`);
    return found;
  });
}

async function checkFolder(dir: string): Promise<void> {
  const st = await fsp.stat(dir).catch(() => null);
  if (!st) throw new DataError(`${dir}: folder not found`);
  if (!st.isDirectory()) throw new DataError(`${dir}: not a folder`);
}

async function loadIdxPair(imagesFile: string, labelsFile: string): Promise<{ images: IdxArray; labels: IdxArray }> {
  const images = parseIdx(await readBytes(imagesFile), imagesFile, 3);
  const labels = parseIdx(await readBytes(labelsFile), labelsFile, 1);
  if (images.dims[0] !== labels.dims[0])
    throw new DataError(`${imagesFile} has ${images.dims[0]} images but ${labelsFile} has ${labels.dims[0]} labels`);
  return { images, labels };
}

/** Train (and optional test) IDX pairs; without a test pair the last 10% of train is held out. */
async function loadIdxPairs(
  source: string,
  trainImages: string,
  trainLabels: string,
  testImages: string | undefined,
  testLabels: string | undefined,
  declaredClasses: number | undefined,
): Promise<Dataset> {
  const tr = await loadIdxPair(trainImages, trainLabels);
  const [, rows, cols] = tr.images.dims;
  const size = rows * cols;
  let train: Split;
  let test: Split;
  if (testImages && testLabels) {
    const te = await loadIdxPair(testImages, testLabels);
    if (te.images.dims[1] !== rows || te.images.dims[2] !== cols)
      throw new DataError(`${testImages}: images are ${te.images.dims[1]}×${te.images.dims[2]} but ${trainImages} has ${rows}×${cols}`);
    train = { count: tr.images.dims[0], pixels: tr.images.data, labels: tr.labels.data };
    test = { count: te.images.dims[0], pixels: te.images.data, labels: te.labels.data };
  } else {
    const n = tr.images.dims[0];
    const nTest = Math.floor(n / 10);
    if (nTest === 0) throw new DataError(`${trainImages}: ${n} images are too few to hold out a test split (give a test pair)`);
    const nTrain = n - nTest;
    train = { count: nTrain, pixels: tr.images.data.subarray(0, nTrain * size), labels: tr.labels.data.subarray(0, nTrain) };
    test = { count: nTest, pixels: tr.images.data.subarray(nTrain * size), labels: tr.labels.data.subarray(nTrain) };
  }
  const testLabelFile = testLabels ?? trainLabels;
  let numClasses = declaredClasses ?? 0;
  if (numClasses === 0) {
    const max = Math.max(maxOf(train.labels), maxOf(test.labels));
    if (max >= MAX_INFERRED_CLASSES) {
      const [file, labels] = maxOf(train.labels) === max ? [trainLabels, train.labels] : [testLabelFile, test.labels];
      throw new DataError(`${file}: label ${max} at index ${labels.indexOf(max)} is out of range 0..${MAX_INFERRED_CLASSES - 1} (declare classes=N in an idx: source if it is real)`);
    }
    numClasses = Math.max(2, max + 1);
  }
  checkLabels(train.labels, numClasses, trainLabels);
  checkLabels(test.labels, numClasses, testLabelFile);
  return { source, sampleShape: [1, rows, cols], numClasses, train, test };
}

function maxOf(a: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

const CIFAR_TRAIN = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const CIFAR_TEST = ['test_batch.bin'];
const CIFAR_RECORD = 1 + 3 * 32 * 32;

/** CIFAR-10 binary version: records of 1 label byte + 3072 pixel bytes (R, G, B planes of 32×32). */
async function loadCifar10(dirIn: string, source: string): Promise<Dataset> {
  await checkFolder(dirIn);
  const nested = join(dirIn, 'cifar-10-batches-bin');
  const dir = !existsSync(join(dirIn, CIFAR_TRAIN[0])) && existsSync(join(nested, CIFAR_TRAIN[0])) ? nested : dirIn;
  const expected = [...CIFAR_TRAIN, ...CIFAR_TEST];
  for (const f of expected)
    if (!existsSync(join(dir, f))) throw new DataError(`${dir}: missing ${f}; expected the CIFAR-10 binary batches ${expected.join(', ')}`);
  return {
    source,
    sampleShape: [3, 32, 32],
    numClasses: 10,
    classNames: CIFAR10_CLASSES,
    train: await readCifarFiles(CIFAR_TRAIN.map((f) => join(dir, f))),
    test: await readCifarFiles(CIFAR_TEST.map((f) => join(dir, f))),
  };
}

/** Sizes first, then one allocation; each file is copied in and dropped (peak: result + one file). */
async function readCifarFiles(files: string[]): Promise<Split> {
  const sizes = await Promise.all(files.map(async (f) => (await fsp.stat(f)).size));
  files.forEach((f, i) => {
    if (sizes[i] === 0 || sizes[i] % CIFAR_RECORD !== 0)
      throw new DataError(`${f}: size ${sizes[i]} bytes is not a positive multiple of the ${CIFAR_RECORD}-byte CIFAR-10 record (truncated or not a CIFAR-10 binary batch)`);
  });
  const count = sizes.reduce((a, b) => a + b, 0) / CIFAR_RECORD;
  const size = CIFAR_RECORD - 1;
  const pixels = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const f of files) {
    const bytes = await readBytes(f);
    if (bytes.length % CIFAR_RECORD !== 0) throw new DataError(`${f}: changed while reading`);
    for (let r = 0; r < bytes.length / CIFAR_RECORD; r++, at++) {
      const rec = r * CIFAR_RECORD;
      if (bytes[rec] > 9) throw new DataError(`${f}: label ${bytes[rec]} in record ${r} is out of range 0..9`);
      labels[at] = bytes[rec];
      pixels.set(bytes.subarray(rec + 1, rec + CIFAR_RECORD), at * size);
    }
  }
  return { count, pixels, labels };
}
