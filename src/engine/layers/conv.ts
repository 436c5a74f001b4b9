import type { Conv2DAttrs } from '../kernel-names';
import * as ops from '../ops';
import { initConvOrLinear } from '../init';
import type { Rng } from '../rng';
import { UserError } from '../errors';
import { reuse } from '../backend';
import type { Shape, Tensor } from '../tensor';
import type { ForwardContext, Layer, Param, StateBuffer } from './layer';
import { fmtArgs, makeParam, shapeError } from './common';

export interface ConvOptions {
  stride: number;
  padding: number;
  dilation: number;
  groups: number;
  bias: boolean;
}

/** nn.Conv2d: weight [out, in/groups, k, k], bias [out]. */
export class Conv2d implements Layer {
  readonly kind = 'conv';
  readonly attrs: Conv2DAttrs;
  weight!: Param;
  bias: Param | null = null;
  inChannels = 0;
  private x?: Tensor;
  private y?: Tensor;
  private dx?: Tensor | null;
  private dbScratch?: Tensor;
  private outShape: Shape = [];

  constructor(readonly outChannels: number, readonly kernel: number, readonly opts: ConvOptions) {
    const { stride: s, padding: p, dilation: d, groups } = opts;
    this.attrs = { stride: [s, s], padding: [p, p], dilation: [d, d], groups };
  }

  describe(): string {
    const o = this.opts;
    return fmtArgs('conv', [this.outChannels, this.kernel], [
      ['stride', o.stride, 1], ['pad', o.padding, 0], ['dilation', o.dilation, 1], ['groups', o.groups, 1], ['bias', o.bias, true],
    ]);
  }

  build(inShape: Shape, rng: Rng): Shape {
    if (inShape.length !== 3) throw shapeError('an image input [channels, height, width]', inShape);
    const [c, h, w] = inShape;
    const { groups, stride, padding, dilation } = this.opts;
    if (c % groups !== 0 || this.outChannels % groups !== 0) {
      throw new UserError(`groups=${groups} must divide both the input channels (${c}) and the output channels (${this.outChannels})`);
    }
    const span = dilation * (this.kernel - 1) + 1;
    const oh = Math.floor((h + 2 * padding - span) / stride) + 1;
    const ow = Math.floor((w + 2 * padding - span) / stride) + 1;
    if (oh < 1 || ow < 1) throw shapeError(`an input of at least ${span - 2 * padding}×${span - 2 * padding} pixels for kernel ${this.kernel}`, inShape);
    this.inChannels = c;
    this.weight = makeParam('weight', [this.outChannels, c / groups, this.kernel, this.kernel]);
    this.bias = this.opts.bias ? makeParam('bias', [this.outChannels]) : null;
    initConvOrLinear(this.weight.value, this.bias?.value ?? null, (c / groups) * this.kernel * this.kernel, rng);
    this.outShape = [this.outChannels, oh, ow];
    return this.outShape;
  }

  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    this.x = x;
    const y = ops.conv2d(x, this.weight.value, this.bias?.value ?? null, this.attrs, reuse(this.y, [x.shape[0], ...this.outShape]));
    return (this.y = y);
  }

  backward(dy: Tensor, needDx: boolean): Tensor | null {
    // Gradients land directly in the params' grad buffers.
    const db = this.bias?.grad ?? (this.dbScratch = reuse(this.dbScratch, [this.outChannels]));
    const g = ops.conv2dBackward(dy, this.x!, this.weight.value, this.attrs, needDx, { dw: this.weight.grad, db, dx: this.dx });
    return (this.dx = g.dx);
  }

  params(): Param[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  buffers(): StateBuffer[] {
    return [];
  }
}
