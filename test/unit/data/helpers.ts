import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** IDX bytes: magic 0x0000 08 rank, big-endian uint32 dims, then data. */
export function idx(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, type, dims.length]);
  const v = new DataView(out.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

/** n images of rows×cols with pixel (i, p) = (i*7 + p) % 256, labels i % classes. */
export function imageSet(n: number, rows = 4, cols = 3, classes = 10): { images: Uint8Array; labels: Uint8Array } {
  const px = Uint8Array.from({ length: n * rows * cols }, (_, k) => (Math.floor(k / (rows * cols)) * 7 + (k % (rows * cols))) % 256);
  return { images: idx([n, rows, cols], px), labels: idx([n], Array.from({ length: n }, (_, i) => i % classes)) };
}

export const IDX_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/** A folder with the four standard IDX files (optionally gzipped) of `nTrain`/`nTest` images. */
export function writeMnistDir(dir: string, nTrain = 12, nTest = 5, gz = false): void {
  const tr = imageSet(nTrain);
  const te = imageSet(nTest);
  [tr.images, tr.labels, te.images, te.labels].forEach((b, i) =>
    writeFileSync(join(dir, IDX_FILES[i] + (gz ? '.gz' : '')), gz ? gzipSync(b) : b),
  );
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bnlab-data-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
