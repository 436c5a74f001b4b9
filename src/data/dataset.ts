/** In-memory image classification data: raw pixel values (0..255 scale) and labels, NCHW per sample. */
export interface Split {
  readonly count: number;
  /** count * C*H*W raw values, sample-major. uint8 for real images; float32 for generated sets. */
  readonly pixels: Uint8Array | Float32Array;
  readonly labels: Uint8Array;
}

export interface Dataset {
  /** The source string it was loaded from, e.g. "digits", "fashion-mnist:/path". */
  readonly source: string;
  /** Per-sample shape [C, H, W] (or [F] for feature sets). */
  readonly sampleShape: readonly number[];
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly train: Split;
  readonly test: Split;
}

/** How raw values become network inputs: x' = (x * scale - mean[c]) / std[c]. Default: x/255. */
export interface Normalization {
  scale: number;
  mean?: number[];
  std?: number[];
}

export const DEFAULT_NORMALIZATION: Normalization = { scale: 1 / 255 };

/** Writes samples `indices[from..to)` of `split` into `out` (float32, NCHW), normalized. */
export function gatherBatch(
  split: Split,
  sampleShape: readonly number[],
  indices: ArrayLike<number>,
  from: number,
  to: number,
  norm: Normalization,
  out: Float32Array,
  labelsOut: Int32Array,
): void {
  const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
  const channels = sampleShape.length === 3 ? sampleShape[0] : 1;
  const plane = sampleSize / channels;
  const { scale } = norm;
  for (let b = 0; b < to - from; b++) {
    const i = indices[from + b];
    const src = i * sampleSize;
    const dst = b * sampleSize;
    for (let c = 0; c < channels; c++) {
      const m = norm.mean ? norm.mean[c] : 0;
      const s = norm.std ? 1 / norm.std[c] : 1;
      const o = c * plane;
      for (let p = 0; p < plane; p++) out[dst + o + p] = (split.pixels[src + o + p] * scale - m) * s;
    }
    labelsOut[b] = split.labels[i];
  }
}
