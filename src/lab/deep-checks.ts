/** The real deep checks for lab cells and settings: the engine's spec parser (layer arguments; shapes are checked at build) and the data-source parser (nothing is loaded). */
import { parseDataSource } from '../data/source';
import { createLayer, parseSpec } from '../engine/spec';
import type { DeepChecks } from './config';

const messageOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
};

export const deepChecks: Required<DeepChecks> = {
  model: (spec) => messageOf(() => parseSpec(spec).forEach((s) => createLayer(s, { numClasses: 10 }))),
  data: (source) => messageOf(() => parseDataSource(source)),
};
