import { empty, kernel } from '../../../src/engine/backend';
import * as ops from '../../../src/engine/ops';
import type { Shape } from '../../../src/engine/tensor';
import { parity, random, type ParityCase } from '../parity';

interface ConvCase {
  name: string;
  x: Shape;
  w: Shape;
  attrs: Parameters<typeof ops.conv2dAttrs>[0];
  bias?: boolean;
}

// Channel counts and sizes that are not multiples of the GEMM tiles, and output channels per group past one tile.
const CASES: ConvCase[] = [
  { name: 'seed net 1->32 5x5 pad 2, batch 100', x: [100, 1, 28, 28], w: [32, 1, 5, 5], attrs: { padding: 2 } },
  { name: '5->7 3x3 pad 1 on 11x9', x: [3, 5, 11, 9], w: [7, 5, 3, 3], attrs: { padding: 1 } },
  { name: '70->67 3x3 pad 1 on 8x8', x: [4, 70, 8, 8], w: [67, 70, 3, 3], attrs: { padding: 1 } },
  { name: 'stride 2', x: [2, 3, 13, 12], w: [6, 3, 3, 3], attrs: { stride: 2, padding: 1 } },
  { name: 'dilation 2', x: [2, 4, 12, 11], w: [5, 4, 3, 3], attrs: { dilation: 2, padding: 2 } },
  { name: 'groups 2, no bias', x: [2, 6, 9, 10], w: [4, 3, 3, 3], attrs: { groups: 2 }, bias: false },
  { name: 'groups 2, 70 output channels per group', x: [2, 8, 6, 6], w: [140, 4, 3, 3], attrs: { groups: 2, padding: 1 } },
  { name: 'groups 3 on 20x20, batch 8', x: [8, 6, 20, 20], w: [9, 2, 3, 3], attrs: { groups: 3, padding: 1 } },
  { name: 'depthwise 5 channels', x: [2, 5, 10, 9], w: [5, 1, 3, 3], attrs: { groups: 5, padding: 1 } },
  { name: '2x4 kernel, stride 2x1, pad 0x2, dilation 1x2, groups 3', x: [3, 6, 9, 14], w: [9, 2, 2, 4], attrs: { stride: [2, 1], padding: [0, 2], dilation: [1, 2], groups: 3 } },
  { name: '1x1 17->33', x: [5, 17, 7, 6], w: [33, 17, 1, 1], attrs: {} },
];

// One parity case per kernel, so each kernel's worst error is its own.
export const convCases: ParityCase[] = CASES.flatMap((c, s) => {
  const attrs = ops.conv2dAttrs(c.attrs);
  const yShape = ops.conv2dOutputShape(c.x, c.w, attrs);
  const x = random(c.x, 100 + s), w = random(c.w, 200 + s, 0.5), dy = random(yShape, 400 + s);
  return [
    parity(`conv2d ${c.name}`, ['Conv2D'], [x, w, c.bias === false ? null : random([c.w[0]], 300 + s)],
      (x, w, b) => ({ y: ops.conv2d(x!, w!, b, attrs) })),
    parity(`conv2d input gradient ${c.name}`, ['Conv2DBackpropInput'], [dy, w], (dy, w) => {
      const dx = empty(c.x);
      kernel('Conv2DBackpropInput')(dy!, w!, attrs, dx);
      return { dx };
    }),
    parity(`conv2d filter gradient ${c.name}`, ['Conv2DBackpropFilter'], [dy, x, w], (dy, x, w) => {
      const { dw, db } = ops.conv2dBackward(dy!, x!, w!, attrs, false);
      return { dw, db };
    }),
  ];
});
