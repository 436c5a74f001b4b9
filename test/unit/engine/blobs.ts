import type { Dataset } from '../../../src/data/dataset';
import { Rng } from '../../../src/engine';

/** Two Gaussian blobs in 2-D (values on the 0..255 scale, like pixels). */
export function blobs(n: number, test = 6): Dataset {
  const r = new Rng(1);
  const split = (count: number) => {
    const pixels = new Float32Array(count * 2), labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      labels[i] = i % 2;
      pixels[2 * i] = 255 * ((labels[i] ? 1 : -1) + 0.3 * r.normal());
      pixels[2 * i + 1] = 255 * r.normal();
    }
    return { count, pixels, labels };
  };
  return { source: 'test-blobs', sampleShape: [2], numClasses: 2, train: split(n), test: split(test) };
}
