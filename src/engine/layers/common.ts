import { UserError } from '../errors';
import { Tensor, shapeToString, type Shape } from '../tensor';
import type { Param } from './layer';

export function makeParam(name: string, shape: Shape): Param {
  return { name, value: new Tensor(shape), grad: new Tensor(shape) };
}

/** Thrown by build(); Sequential adds the layer's position and text. */
export function shapeError(expected: string, got: Shape): UserError {
  return new UserError(`expects ${expected}, got input shape ${shapeToString(got)}`);
}

/** Formats kwargs for describe(): only the ones that differ from their defaults. */
export function fmtArgs(kind: string, positional: (string | number)[], kwargs: [string, string | number | boolean | null, unknown][]): string {
  const parts = positional.map(String);
  for (const [k, v, def] of kwargs) if (v !== def) parts.push(`${k}=${v === null ? 'none' : v}`);
  return parts.length ? `${kind}(${parts.join(',')})` : kind;
}
