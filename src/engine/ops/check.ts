/** Argument checks shared by the ops: each failure is one OpError naming the op, the argument and the shapes. */
import { shapeToString, type Shape, type Tensor } from '../tensor';

/** An invalid op argument (wrong shape, bad attribute, bad label): a user-facing message, not a bug. */
export class OpError extends Error {
  override name = 'OpError';
}

export function fail(op: string, message: string): never {
  throw new OpError(`${op}: ${message}`);
}

export function checkRank(op: string, what: string, t: Tensor, rank: number, layout: string): void {
  if (t.rank !== rank) fail(op, `${what} must be ${rank}-D ${layout}, got ${shapeToString(t.shape)}`);
}

export function checkShape(op: string, what: string, t: Tensor, shape: Shape): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(op, `${what} must have shape ${shapeToString(shape)}, got ${shapeToString(t.shape)}`);
  }
}

/** An optional per-channel parameter (gamma, beta, bias): null or shape [n]. */
export function checkVector(op: string, what: string, t: Tensor | null, n: number): void {
  if (t) checkShape(op, what, t, [n]);
}

export function checkPositiveInts(op: string, what: string, values: readonly number[], min: number): void {
  if (values.some((v) => !Number.isInteger(v) || v < min)) {
    fail(op, `${what} must be integer(s) >= ${min}, got ${values.join(', ')}`);
  }
}
