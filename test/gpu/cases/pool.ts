import * as ops from '../../../src/engine/ops';
import type { Shape } from '../../../src/engine/tensor';
import { parity, random, type ParityCase } from '../parity';

type Geometry = { kernel: number | [number, number]; stride?: number | [number, number]; padding?: number | [number, number] };
const describe = (shape: Shape, g: Geometry) =>
  `${shape.join('x')} kernel ${g.kernel}${g.stride === undefined ? '' : ` stride ${g.stride}`}${g.padding === undefined ? '' : ` padding ${g.padding}`}`;

/** Max pooling forward and backward; `nans` sets every 7th input to NaN and every 5th to −∞. */
function maxPool(shape: Shape, g: Geometry, nans = false): ParityCase {
  const x = random(shape, shape[3] * 31 + 1);
  if (nans) for (let i = 0; i < x.size; i++) x.data[i] = i % 7 === 3 ? NaN : i % 5 === 1 ? -Infinity : x.data[i];
  const attrs = ops.pool2dAttrs(g);
  const yShape = ops.pool2dOutputShape('maxPool2d', shape, attrs);
  return parity(`max pool ${describe(shape, g)}${nans ? ', NaN and -inf inputs' : ''}`, ['MaxPool2D', 'MaxPool2DGrad'],
    [x, random(yShape, 2), random(shape, 3)], (xd, dy, other) => {
      // A gradient of another input first, into the same dx: this call must not see its state.
      const before = ops.maxPool2dGrad(dy!, ops.maxPool2d(other!, attrs).argmax, shape, attrs);
      const r = ops.maxPool2d(xd!, attrs);
      return { ...r, dx: ops.maxPool2dGrad(dy!, r.argmax, shape, attrs, before) };
    });
}

function avgPool(shape: Shape, g: Geometry): ParityCase {
  const attrs = ops.pool2dAttrs(g);
  const yShape = ops.pool2dOutputShape('avgPool2d', shape, attrs);
  return parity(`avg pool ${describe(shape, g)}`, ['AvgPool2D', 'AvgPool2DGrad'], [random(shape, 3), random(yShape, 4)], (x, dy) => ({
    y: ops.avgPool2d(x!, attrs),
    dx: ops.avgPool2dGrad(dy!, shape, attrs),
  }));
}

/** Dropout's mask must be bit-identical (tolerance 0); y and dx to float32 rounding. */
function dropout(shape: Shape, p: number, seed: number): ParityCase[] {
  const inputs = [random(shape, 5), random(shape, 6)];
  const run = (x: Parameters<typeof ops.dropout>[0], dy: Parameters<typeof ops.dropout>[0]) => {
    const r = ops.dropout(x, p, seed);
    return { ...r, dx: ops.dropoutGrad(dy, r.mask) };
  };
  return [
    parity(`dropout ${shape.join('x')} p=${p}: mask bit-identical`, ['Dropout'], inputs, (x, dy) => ({ mask: run(x!, dy!).mask }), 0),
    parity(`dropout ${shape.join('x')} p=${p}`, ['Dropout', 'DropoutGrad'], inputs, (x, dy) => run(x!, dy!)),
  ];
}

export const poolCases: ParityCase[] = [
  maxPool([100, 32, 28, 28], { kernel: 2 }), // the seed net's pool
  maxPool([3, 5, 13, 11], { kernel: 3, stride: 2, padding: 1 }),
  maxPool([2, 3, 9, 10], { kernel: [3, 2], stride: 1, padding: [1, 1] }),
  maxPool([2, 7, 15, 15], { kernel: 3, stride: 2 }),
  maxPool([2, 3, 13, 11], { kernel: 3, stride: 2, padding: 1 }, true),
  maxPool([2, 3, 8, 8], { kernel: 2 }, true),
  avgPool([3, 5, 13, 11], { kernel: 3, stride: 2, padding: 1 }),
  avgPool([2, 3, 9, 10], { kernel: [3, 2], stride: 1, padding: [1, 1] }),
  avgPool([4, 6, 28, 28], { kernel: 2 }),
  avgPool([2, 3, 7, 9], { kernel: [2, 4], stride: [3, 1], padding: [1, 2] }),
  ...dropout([100, 128], 0.3, 12345),
  ...dropout([3, 1001], 0, 7),
  ...dropout([3, 1001], 1, 7),
  ...dropout([2, 5, 9, 13], 0.5, 0xdeadbeef),
];
