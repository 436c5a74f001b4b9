import { kernel, reuse } from '../backend';
import { shapeToString, type Tensor } from '../tensor';
import { checkRank, checkShape, checkVector, fail } from './check';

function checkLinear(op: string, x: Tensor, w: Tensor): void {
  checkRank(op, 'input', x, 2, '[N, in_features]');
  checkRank(op, 'weight', w, 2, '[out_features, in_features]');
  if (x.shape[1] !== w.shape[1]) {
    fail(op, `input ${shapeToString(x.shape)} has ${x.shape[1]} features, but weight ${shapeToString(w.shape)} expects ${w.shape[1]}`);
  }
}

/** y = x·wᵀ + b */
export function linear(x: Tensor, w: Tensor, b: Tensor | null, out?: Tensor): Tensor {
  checkLinear('linear', x, w);
  checkVector('linear', 'bias', b, w.shape[0]);
  const y = reuse(out, [x.shape[0], w.shape[0]]);
  kernel('Linear')(x, w, b, y);
  return y;
}

export interface LinearGrads {
  dx: Tensor | null;
  dw: Tensor;
  db: Tensor;
}

export function linearBackward(dy: Tensor, x: Tensor, w: Tensor, needDx: boolean, out?: Partial<LinearGrads>): LinearGrads {
  checkLinear('linearBackward', x, w);
  checkShape('linearBackward', 'dy', dy, [x.shape[0], w.shape[0]]);
  const dx = needDx ? reuse(out?.dx ?? undefined, x.shape) : null;
  const dw = reuse(out?.dw, w.shape);
  const db = reuse(out?.db, [w.shape[0]]);
  kernel('LinearBackward')(dy, x, w, dx, dw, db);
  return { dx, dw, db };
}

/** [N, ...] -> [N, rest] (a view: shares storage, NCHW order like torch.flatten(x, 1)). */
export function flatten(x: Tensor): Tensor {
  if (x.rank < 1) fail('flatten', `input must have a batch dimension, got ${shapeToString(x.shape)}`);
  const n = x.shape[0];
  return x.reshape([n, n === 0 ? 0 : x.size / n]);
}
