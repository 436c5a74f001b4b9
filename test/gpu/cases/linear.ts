import * as ops from '../../../src/engine/ops';
import { parity, random, type ParityCase } from '../parity';

// [batch, in, out]: the seed net's two layers, then sizes that are not multiples of the GEMM tiles.
const CASES: { n: number; i: number; o: number; bias?: boolean; needDx?: boolean }[] = [
  { n: 100, i: 6272, o: 128 },
  { n: 100, i: 128, o: 10 },
  { n: 7, i: 33, o: 65, bias: false },
  { n: 130, i: 70, o: 257 },
  { n: 5, i: 300, o: 17, needDx: false },
  { n: 20, i: 24, o: 30 },
  { n: 1, i: 1, o: 1 },
];

export const linearCases: ParityCase[] = CASES.flatMap((c, s) => {
  const name = `${c.n}x${c.i} -> ${c.o}`;
  const x = random([c.n, c.i], 10 + s), w = random([c.o, c.i], 20 + s, 0.1);
  return [
    parity(`linear ${name}${c.bias === false ? ', no bias' : ''}`, ['Linear'], [x, w, c.bias === false ? null : random([c.o], 30 + s)],
      (x, w, b) => ({ y: ops.linear(x!, w!, b) })),
    parity(`linear backward ${name}${c.needDx === false ? ', no dx' : ''}`, ['LinearBackward'], [random([c.n, c.o], 40 + s), x, w], (dy, x, w) => {
      const g = ops.linearBackward(dy!, x!, w!, c.needDx !== false);
      return { dw: g.dw, db: g.db, ...(g.dx ? { dx: g.dx } : {}) };
    }),
  ];
});
