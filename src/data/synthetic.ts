import { Rng } from '../engine/rng';
import type { Dataset, Split } from './dataset';
import type { DataSource } from './source';

type SyntheticSource = Extract<DataSource, { kind: 'synthetic' }>;

export const SHAPE_NAMES = ['square', 'square outline', 'disc', 'ring', 'horizontal bar', 'vertical bar', 'plus', 'cross', 'triangle', 'diamond'];

/**
 * Deterministic generated sets (same source string, same bytes).
 * - shapes: 1×28×28 uint8 images of `classes` (≤10) simple shapes, random position/size/brightness plus noise.
 * - blobs: `dim`-D Gaussian blobs, one per class; spirals: interleaved 2-D spiral arms.
 * Feature sets store values on the 0..255 scale (255 × feature) so the default x/255 input
 * normalization yields unit-scale features, like pixels.
 */
export function generateSynthetic(src: SyntheticSource, source: string): Dataset {
  const rng = new Rng(src.seed);
  if (src.shape === 'shapes') {
    return {
      source,
      sampleShape: [1, 28, 28],
      numClasses: src.classes,
      classNames: SHAPE_NAMES.slice(0, src.classes),
      train: shapes(src.n, src.classes, rng),
      test: shapes(src.test, src.classes, rng),
    };
  }
  const dim = src.shape === 'blobs' ? src.dim : 2;
  const centers = Array.from({ length: src.classes }, () => Array.from({ length: dim }, () => 3 * rng.normal()));
  const gen = (count: number): Split => {
    const pixels = new Float32Array(count * dim);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const c = i % src.classes;
      labels[i] = c;
      if (src.shape === 'blobs') {
        for (let d = 0; d < dim; d++) pixels[i * dim + d] = 255 * (centers[c][d] + rng.normal());
      } else {
        const t = rng.next();
        const angle = (2 * Math.PI * c) / src.classes + 4 * t + 0.2 * rng.normal();
        pixels[i * 2] = 255 * t * Math.sin(angle);
        pixels[i * 2 + 1] = 255 * t * Math.cos(angle);
      }
    }
    return { count, pixels, labels };
  };
  return {
    source,
    sampleShape: [dim],
    numClasses: src.classes,
    classNames: Array.from({ length: src.classes }, (_, c) => `class ${c}`),
    train: gen(src.n),
    test: gen(src.test),
  };
}

function shapes(count: number, classes: number, rng: Rng): Split {
  const size = 28;
  const pixels = new Uint8Array(count * size * size);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = rng.int(classes);
    labels[i] = c;
    const cx = rng.uniform(9, 19);
    const cy = rng.uniform(9, 19);
    const r = rng.uniform(5, 9);
    const ink = rng.uniform(160, 255);
    const base = i * size * size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = (inShape(c, x + 0.5 - cx, y + 0.5 - cy, r) ? ink : 0) + 25 * rng.normal();
        pixels[base + y * size + x] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
  }
  return { count, pixels, labels };
}

function inShape(shape: number, dx: number, dy: number, r: number): boolean {
  const ax = Math.abs(dx);
  const ay = Math.abs(dy);
  const box = Math.max(ax, ay);
  const d2 = dx * dx + dy * dy;
  switch (shape) {
    case 0: return box <= r;
    case 1: return box <= r && box > r - 2;
    case 2: return d2 <= r * r;
    case 3: return d2 <= r * r && d2 > (r - 2) * (r - 2);
    case 4: return ay <= 1.5 && ax <= r;
    case 5: return ax <= 1.5 && ay <= r;
    case 6: return (ay <= 1.5 || ax <= 1.5) && box <= r;
    case 7: return Math.abs(ax - ay) <= 1.5 && box <= r;
    case 8: return ay <= r && ax <= (dy + r) / 2;
    default: return ax + ay <= r && ax + ay > r - 2;
  }
}
