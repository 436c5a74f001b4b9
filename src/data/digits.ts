import type { Dataset } from './dataset';
import { DataError } from './errors';
import { checkLabels } from './idx';

/**
 * media/digits.bin, written by scripts/build-digits.mjs (format version 1):
 *   bytes 0..3 "BNLD", 4 version (1), 5 channels, 6 rows, 7 cols, 8..11 train count (uint32 LE),
 *   12..15 test count (uint32 LE), then train pixels, train labels, test pixels, test labels (uint8).
 * The file on disk is gzipped (readBytes inflates it); these are the inflated bytes.
 */
export const DIGITS_MAGIC = 'BNLD';
export const DIGITS_HEADER_BYTES = 16;

/** Views (no copies) into the bytes of a digits.bin file. */
export function parseDigitsBin(bytes: Uint8Array, file: string, source: string): Dataset {
  const fail = (why: string) => new DataError(`${file}: ${why}; rebuild it with \`npm run build\``);
  if (bytes.length < DIGITS_HEADER_BYTES) throw fail(`truncated header (${bytes.length} bytes)`);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== DIGITS_MAGIC) throw fail('bad magic number (not a BN Lab digits file)');
  if (bytes[4] !== 1) throw fail(`unsupported format version ${bytes[4]}`);
  const sampleShape = [bytes[5], bytes[6], bytes[7]];
  const view = new DataView(bytes.buffer, bytes.byteOffset, DIGITS_HEADER_BYTES);
  const nTrain = view.getUint32(8, true);
  const nTest = view.getUint32(12, true);
  const size = sampleShape[0] * sampleShape[1] * sampleShape[2];
  const expected = DIGITS_HEADER_BYTES + (nTrain + nTest) * (size + 1);
  if (size === 0 || bytes.length !== expected) throw fail(`size ${bytes.length} bytes, expected ${expected}`);
  let at = DIGITS_HEADER_BYTES;
  const take = (n: number) => bytes.subarray(at, (at += n));
  const train = { count: nTrain, pixels: take(nTrain * size), labels: take(nTrain) };
  const test = { count: nTest, pixels: take(nTest * size), labels: take(nTest) };
  checkLabels(train.labels, 10, file);
  checkLabels(test.labels, 10, file);
  return { source, sampleShape, numClasses: 10, classNames: '0123456789'.split(''), train, test };
}
