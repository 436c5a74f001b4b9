import * as ops from '../ops';
import { initConvOrLinear } from '../init';
import type { Rng } from '../rng';
import { reuse } from '../backend';
import type { Shape, Tensor } from '../tensor';
import type { ForwardContext, Layer, Param, StateBuffer } from './layer';
import { fmtArgs, makeParam, shapeError } from './common';

/** nn.Linear: weight [out, in], bias [out]. Needs a flat input (put `flatten` before it). */
export class Linear implements Layer {
  readonly kind = 'linear';
  weight!: Param;
  bias: Param | null = null;
  inFeatures = 0;
  private x?: Tensor;
  private y?: Tensor;
  private dx?: Tensor | null;
  private dbScratch?: Tensor;

  constructor(readonly outFeatures: number, readonly hasBias = true) {}

  describe(): string {
    return fmtArgs('linear', [this.outFeatures], [['bias', this.hasBias, true]]);
  }

  build(inShape: Shape, rng: Rng): Shape {
    if (inShape.length !== 1) throw shapeError('a flat input [features] (add flatten before it)', inShape);
    this.inFeatures = inShape[0];
    this.weight = makeParam('weight', [this.outFeatures, this.inFeatures]);
    this.bias = this.hasBias ? makeParam('bias', [this.outFeatures]) : null;
    initConvOrLinear(this.weight.value, this.bias?.value ?? null, this.inFeatures, rng);
    return [this.outFeatures];
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    this.x = x;
    const y = ops.linear(x, this.weight.value, this.bias?.value ?? null, reuse(this.y, [x.shape[0], this.outFeatures]));
    return (this.y = y);
  }

  backward(dy: Tensor, needDx: boolean): Tensor | null {
    // Gradients land directly in the params' grad buffers.
    const db = this.bias?.grad ?? (this.dbScratch = reuse(this.dbScratch, [this.outFeatures]));
    const g = ops.linearBackward(dy, this.x!, this.weight.value, needDx, { dw: this.weight.grad, db, dx: this.dx });
    return (this.dx = g.dx);
  }

  params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  buffers(): StateBuffer[] {
    return [];
  }
}
