import * as ops from '../../../src/engine/ops';
import { parity, random, type ParityCase } from '../parity';

// Sizes that are not multiples of the workgroup size (256), and one past a 65535-group grid row.
const SIZES = [[7], [3, 257], [2, 5, 9, 13]];

export const elementwiseCases: ParityCase[] = SIZES.flatMap((shape, s) => [
  parity(`relu ${shape.join('x')}`, ['Relu', 'ReluGrad'], [random(shape, s), random(shape, s + 10)], (x, dy) => {
    const y = ops.relu(x!);
    return { y, dx: ops.reluGrad(dy!, y) };
  }),
  parity(`leakyRelu ${shape.join('x')}`, ['LeakyRelu', 'LeakyReluGrad'], [random(shape, s), random(shape, s + 10)], (x, dy) => ({
    y: ops.leakyRelu(x!, 0.2),
    dx: ops.leakyReluGrad(dy!, x!, 0.2),
  })),
]);
