import * as ops from '../../../src/engine/ops';
import type { Shape, Tensor } from '../../../src/engine/tensor';
import { parity, random, type ParityCase } from '../parity';

const EPS = 1e-5;
const name = (shape: Shape) => shape.join('x');

/** Random values around `mean` (the spread of `random`), e.g. 1000 ± 1 to check the variance is not E[x²] − E[x]². */
function around(shape: Shape, seed: number, mean: number, spread = 1): Tensor {
  const t = random(shape, seed, spread);
  for (let i = 0; i < t.size; i++) t.data[i] += mean;
  return t;
}

/** Values in [0.1, 2.1): variances and running statistics. */
function positive(shape: Shape, seed: number): Tensor {
  const t = random(shape, seed);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.abs(t.data[i]) * 2 + 0.1;
  return t;
}

/** BN train forward then backward (through the batch statistics, or frozen), every output compared. */
function bnTrain(shape: Shape, o: { affine?: boolean; training?: boolean; mean?: number; seed?: number } = {}): ParityCase {
  const { affine = true, training = true, mean = 0, seed = shape.length * 100 + shape[1] } = o;
  const C = shape[1];
  const label = `bn train ${name(shape)}${affine ? '' : ', affine off'}${training ? '' : ', frozen backward'}${mean ? `, values around ${mean}` : ''}`;
  return parity(label, ['BatchNormTrain', 'BatchNormBackward'],
    [around(shape, seed, mean), random(shape, seed + 1), affine ? positive([C], seed + 2) : null, affine ? random([C], seed + 3) : null],
    (x, dy, gamma, beta) => {
      const f = ops.batchNormTrain(x!, gamma, beta, EPS);
      const g = ops.batchNormBackward(dy!, f, gamma, training);
      return { ...f, ...g };
    });
}

function bnInfer(shape: Shape, affine = true): ParityCase {
  const C = shape[1];
  return parity(`bn infer ${name(shape)}${affine ? '' : ', affine off'}`, ['BatchNormInfer', 'BatchNormBackward'],
    [random(shape, 7), random(shape, 8), random([C], 9), positive([C], 10), affine ? positive([C], 11) : null, affine ? random([C], 12) : null],
    (x, dy, mean, variance, gamma, beta) => {
      const f = ops.batchNormInfer(x!, mean!, variance!, gamma, beta, EPS);
      return { ...f, ...ops.batchNormBackward(dy!, f, gamma, false) };
    });
}

function groupNorm(shape: Shape, groups: number, affine = true, mean = 0): ParityCase {
  const C = shape[1];
  return parity(`group norm ${name(shape)}, ${groups} groups${affine ? '' : ', affine off'}${mean ? `, values around ${mean}` : ''}`,
    ['GroupNorm', 'GroupNormBackward'],
    [around(shape, 20 + C, mean), random(shape, 21), affine ? positive([C], 22) : null, affine ? random([C], 23) : null],
    (x, dy, gamma, beta) => {
      const f = ops.groupNorm(x!, groups, gamma, beta, EPS);
      return { ...f, ...ops.groupNormBackward(dy!, f, gamma, groups) };
    });
}

function layerNorm(shape: Shape, D: number, affine = true): ParityCase {
  return parity(`layer norm ${name(shape)} over ${D}${affine ? '' : ', affine off'}`, ['LayerNorm', 'LayerNormBackward'],
    [random(shape, 30 + D), random(shape, 31), affine ? positive([D], 32) : null, affine ? random([D], 33) : null],
    (x, dy, gamma, beta) => {
      const f = ops.layerNorm(x!, D, gamma, beta, EPS);
      return { ...f, ...ops.layerNormBackward(dy!, f, gamma) };
    });
}

export const normCases: ParityCase[] = [
  // The seed net's BN2d and BN1d.
  bnTrain([100, 32, 28, 28]),
  bnTrain([100, 128]),
  // Two values per channel (the smallest legal), as batch or as spatial dims.
  bnTrain([2, 3]),
  bnTrain([1, 5, 2]),
  // Channel counts and per-channel counts that are not multiples of the workgroup size (256) or chunk (8192, or
  // 32768 on software adapters; the seed net's BN2d and the cases with > 32768 values per channel take several);
  // spatial sizes S with S % 4 == 0 run the vec4 passes.
  bnTrain([3, 37, 5, 7]),
  bnTrain([7, 300]),
  bnTrain([5, 3, 33, 31]),
  bnTrain([3, 5, 16, 16]), // S = the workgroup size
  bnTrain([4, 3, 257]),
  // [N, C] with more rows than the one-thread-per-channel path takes (1024), in one chunk and in several.
  bnTrain([1500, 3]),
  bnTrain([40000, 2]),
  bnTrain([3, 37, 5, 7], { affine: false }),
  bnTrain([5, 3, 33, 31], { training: false }),
  bnTrain([100, 128], { training: false, affine: false }),
  bnTrain([3, 5, 16, 16], { training: false, affine: false }),
  bnTrain([50, 6, 17, 17], { mean: 1000 }),
  bnTrain([300, 20], { mean: 1000 }),
  bnTrain([20, 3, 8, 8], { mean: 1000 }),
  bnTrain([40, 2, 30, 30], { mean: 1000 }),
  bnInfer([4, 37, 3, 5]),
  bnInfer([9, 300], false),
  bnInfer([3, 5, 4, 6]),
  groupNorm([3, 6, 5, 7], 2),
  groupNorm([2, 12, 17, 19], 3, false),
  groupNorm([100, 32, 28, 28], 8),
  groupNorm([3, 6, 5, 7], 6), // instance norm
  groupNorm([4, 5, 9, 9], 5, false, 1000),
  groupNorm([1, 4, 100, 100], 1, true, 1000), // a block of 40000: 2 chunks on software adapters, 5 on GPUs
  layerNorm([7, 300], 300),
  layerNorm([3, 4, 5, 6], 120),
  layerNorm([3, 4, 5, 6], 30, false),
  layerNorm([2, 3000], 3000),
  layerNorm([2, 40000], 40000),
];
