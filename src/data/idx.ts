import { DataError } from './errors';

/** A decoded IDX file: dims from the header and a uint8 view (no copy) of the data. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const IDX_TYPES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

/**
 * Parses an IDX file (big-endian header: 0x00 0x00 type rank, then rank uint32 dims, then data).
 * Only uint8 data (type 0x08) is accepted; `rank` is the expected rank (3 for images, 1 for labels).
 */
export function parseIdx(bytes: Uint8Array, file: string, rank: number): IdxArray {
  const fail = (why: string) => new DataError(`${file}: ${why}`);
  if (bytes.length < 4) throw fail(`truncated IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw fail(`bad magic number 0x${magic} (not an IDX file: expected 0x0000080${rank})`);
  }
  if (bytes[2] !== 0x08)
    throw fail(`unsupported IDX data type 0x${bytes[2].toString(16).padStart(2, '0')} (${IDX_TYPES[bytes[2]] ?? 'unknown'}); only uint8 (0x08) is supported`);
  if (bytes[3] !== rank) throw fail(`wrong rank ${bytes[3]}: expected ${rank} (${rank === 1 ? 'labels [N]' : 'images [N, rows, cols]'})`);
  const headerLen = 4 + 4 * rank;
  if (bytes.length < headerLen) throw fail(`truncated IDX header (${bytes.length} of ${headerLen} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerLen);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  if (dims.some((d) => d === 0)) throw fail(`empty dimension in dims [${dims.join(', ')}]`);
  if (rank === 3 && (dims[1] > 4096 || dims[2] > 4096)) throw fail(`implausible image size ${dims[1]}×${dims[2]}`);
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerLen;
  if (actual < expected) throw fail(`truncated data: dims [${dims.join(', ')}] need ${expected} bytes after the header, file has ${actual}`);
  if (actual > expected) throw fail(`${actual - expected} unexpected trailing bytes after dims [${dims.join(', ')}]`);
  return { dims, data: bytes.subarray(headerLen) };
}

/** Checks labels are below `numClasses`; names the first bad one. */
export function checkLabels(labels: Uint8Array, numClasses: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) throw new DataError(`${file}: label ${labels[i]} at index ${i} is out of range 0..${numClasses - 1}`);
  }
}

/** An IDX file of uint8 (type 0x08) or float32 (type 0x0d, big-endian) values with the given dims. */
export function encodeIdx(dims: readonly number[], data: Uint8Array | Float32Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const float = data instanceof Float32Array;
  const out = new Uint8Array(header + data.length * (float ? 4 : 1));
  const view = new DataView(out.buffer);
  out.set([0, 0, float ? 0x0d : 0x08, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  if (!float) out.set(data, header);
  else for (let i = 0; i < data.length; i++) view.setFloat32(header + 4 * i, data[i], false);
  return out;
}
