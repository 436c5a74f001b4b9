import * as ops from '../../../src/engine/ops';
import { Tensor } from '../../../src/engine/tensor';
import { parity, random, type ParityCase } from '../parity';

const C = 37;
const stats = (momentum: number | null) =>
  parity(`bn running stats, momentum ${momentum ?? 'none'}, 5 updates`, ['BatchNormRunningStats'],
    [random([C], 1), random([C], 2, 0.5), new Tensor([C]), Tensor.filled([C], 1), new Tensor([])],
    (mean, varU, rm, rv, nbt) => {
      for (let k = 0; k < 5; k++) ops.batchNormRunningStats(mean!, varU!, rm!, rv!, nbt!, momentum);
      return { rm: rm!, rv: rv!, nbt: nbt! };
    });

/** Ghost BN: statistics of K = 4 virtual batches, [4, C], applied in order. */
const ghostStats = (momentum: number | null) =>
  parity(`bn running stats of 4 virtual batches, momentum ${momentum ?? 'none'}, 3 updates`, ['BatchNormRunningStats'],
    [random([4, C], 1), random([4, C], 2, 0.5), new Tensor([C]), Tensor.filled([C], 1), new Tensor([])],
    (mean, varU, rm, rv, nbt) => {
      for (let k = 0; k < 3; k++) ops.batchNormRunningStats(mean!, varU!, rm!, rv!, nbt!, momentum);
      return { rm: rm!, rv: rv!, nbt: nbt! };
    });

/** Positive values in [lo, lo + 1), e.g. variances. */
const positive = (shape: number[], seed: number, lo: number) => Tensor.from(shape, random(shape, seed, 0.5).data.map((v) => v + 0.5 + lo));

/** Batch renorm's r, d and corrected statistics over 6 steps of a 4-step warm-up (each step then updates the running statistics). */
const renorm = parity('batch renorm r, d and corrected statistics, 6 steps of a 4-step warm-up', ['BatchRenormCorrection', 'BatchNormRunningStats'],
  [random([C], 3), positive([C], 4, 0.01), random([C], 5, 0.5), positive([C], 6, 0.2), new Tensor([])],
  (mean, varB, rm, rv, nbt) => {
    const out: Record<string, Tensor> = {};
    for (let t = 0; t < 6; t++) {
      const c = ops.batchRenormCorrection(mean!, varB!, rm!, rv!, nbt!, { eps: 1e-5, rmax: 3, dmax: 1, warmup: 4 });
      Object.assign(out, { [`r.${t}`]: c.r, [`d.${t}`]: c.d, [`mean.${t}`]: c.mean, [`var.${t}`]: c.variance });
      ops.batchNormRunningStats(mean!, varB!, rm!, rv!, nbt!, 0.1);
    }
    return out;
  });

const N = 1000;
export const stateCases: ParityCase[] = [
  stats(0.1),
  stats(null),
  stats(0.01),
  ghostStats(0.1),
  ghostStats(null),
  renorm,
  parity('sgd momentum + nesterov + weight decay, 3 steps', ['SgdStep'], [random([N], 3), random([N], 4), new Tensor([N])], (w, g, buf) => {
    for (let k = 0; k < 3; k++) ops.sgdStep(w!, g!, buf, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 1e-2, first: k === 0 });
    return { w: w!, buf: buf! };
  }),
  parity('sgd plain, 3 steps', ['SgdStep'], [random([N], 3), random([N], 4)], (w, g) => {
    for (let k = 0; k < 3; k++) ops.sgdStep(w!, g!, null, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, first: k === 0 });
    return { w: w! };
  }),
  ...[false, true].map((decoupled) =>
    parity(`${decoupled ? 'adamw' : 'adam'} with weight decay, 3 steps`, ['AdamStep'], [random([N], 5), random([N], 6), new Tensor([N]), new Tensor([N])], (w, g, m, v) => {
      for (let t = 1; t <= 3; t++) {
        ops.adamStep(w!, g!, m!, v!, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled, stepSize: 1e-3 / (1 - 0.9 ** t), bc2Sqrt: Math.sqrt(1 - 0.999 ** t) });
      }
      return { w: w!, m: m!, v: v! };
    })),
];
