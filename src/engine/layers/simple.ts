import type { Pool2DAttrs } from '../kernel-names';
import * as ops from '../ops';
import { UserError } from '../errors';
import type { Rng } from '../rng';
import { reuse } from '../backend';
import { sizeOf, type Shape, type Tensor } from '../tensor';
import type { ForwardContext, Layer, Param, StateBuffer } from './layer';
import { fmtArgs, shapeError } from './common';

/** Base for layers without parameters. */
abstract class Stateless implements Layer {
  abstract readonly kind: string;
  abstract describe(): string;
  abstract build(inShape: Shape, rng: Rng): Shape;
  abstract forward(x: Tensor, ctx: ForwardContext): Tensor;
  abstract backward(dy: Tensor, needDx: boolean): Tensor | null;
  params(): Param[] {
    return [];
  }
  buffers(): StateBuffer[] {
    return [];
  }
}

export class ReLU extends Stateless {
  readonly kind = 'relu';
  private y?: Tensor;
  private dx?: Tensor;
  describe(): string {
    return 'relu';
  }
  build(inShape: Shape): Shape {
    return inShape;
  }
  forward(x: Tensor): Tensor {
    return (this.y = ops.relu(x, reuse(this.y, x.shape)));
  }
  backward(dy: Tensor): Tensor {
    return (this.dx = ops.reluGrad(dy, this.y!, this.dx));
  }
}

export class LeakyReLU extends Stateless {
  readonly kind = 'leakyrelu';
  private x?: Tensor;
  private y?: Tensor;
  private dx?: Tensor;
  constructor(readonly slope = 0.01) {
    super();
  }
  describe(): string {
    return fmtArgs('leakyrelu', [], [['slope', this.slope, 0.01]]);
  }
  build(inShape: Shape): Shape {
    return inShape;
  }
  forward(x: Tensor): Tensor {
    this.x = x;
    return (this.y = ops.leakyRelu(x, this.slope, reuse(this.y, x.shape)));
  }
  backward(dy: Tensor): Tensor {
    return (this.dx = ops.leakyReluGrad(dy, this.x!, this.slope, this.dx));
  }
}

/** nn.MaxPool2d / nn.AvgPool2d (stride defaults to the kernel size, floor mode, avg counts padding). */
export class Pool2d extends Stateless {
  readonly attrs: Pool2DAttrs;
  private xShape: Shape = [];
  private fwd?: ops.MaxPoolResult;
  private avgOut?: Tensor;
  private dx?: Tensor;
  constructor(readonly kind: 'maxpool' | 'avgpool', readonly size: number, readonly stride: number, readonly padding: number) {
    super();
    this.attrs = { kernel: [size, size], stride: [stride, stride], padding: [padding, padding] };
  }
  describe(): string {
    return fmtArgs(this.kind, [this.size], [['stride', this.stride, this.size], ['pad', this.padding, 0]]);
  }
  build(inShape: Shape): Shape {
    if (inShape.length !== 3) throw shapeError('an image input [channels, height, width]', inShape);
    if (this.padding * 2 > this.size) throw new UserError(`pad=${this.padding} must be at most half the kernel size ${this.size}`);
    const [c, h, w] = inShape;
    const oh = Math.floor((h + 2 * this.padding - this.size) / this.stride) + 1;
    const ow = Math.floor((w + 2 * this.padding - this.size) / this.stride) + 1;
    if (oh < 1 || ow < 1) throw shapeError(`an input of at least ${this.size}×${this.size} pixels`, inShape);
    return [c, oh, ow];
  }
  forward(x: Tensor): Tensor {
    this.xShape = x.shape;
    if (this.kind === 'avgpool') return (this.avgOut = ops.avgPool2d(x, this.attrs, this.avgOut));
    this.fwd = ops.maxPool2d(x, this.attrs, this.fwd);
    return this.fwd.y;
  }
  backward(dy: Tensor): Tensor {
    this.dx = this.kind === 'avgpool'
      ? ops.avgPool2dGrad(dy, this.xShape, this.attrs, this.dx)
      : ops.maxPool2dGrad(dy, this.fwd!.argmax, this.xShape, this.attrs, this.dx);
    return this.dx;
  }
}

/** nn.Flatten(): [N, C, H, W] → [N, C·H·W] in NCHW order. */
export class Flatten extends Stateless {
  readonly kind = 'flatten';
  private xShape: Shape = [];
  describe(): string {
    return 'flatten';
  }
  build(inShape: Shape): Shape {
    return [sizeOf(inShape)];
  }
  forward(x: Tensor): Tensor {
    this.xShape = x.shape;
    return x.reshape([x.shape[0], x.size / x.shape[0]]);
  }
  backward(dy: Tensor): Tensor {
    return dy.reshape(this.xShape);
  }
}

/** nn.Dropout(p): inverted dropout in training, identity in eval. */
export class Dropout extends Stateless {
  readonly kind = 'dropout';
  private fwd?: ops.DropoutResult;
  private active = false;
  private dx?: Tensor;
  constructor(readonly p = 0.5) {
    super();
  }
  describe(): string {
    return fmtArgs('dropout', this.p === 0.5 ? [] : [this.p], []);
  }
  build(inShape: Shape): Shape {
    return inShape;
  }
  forward(x: Tensor, ctx: ForwardContext): Tensor {
    this.active = ctx.training && this.p > 0;
    if (!this.active) return x;
    this.fwd = ops.dropout(x, this.p, ctx.rng.nextU32(), this.fwd);
    return this.fwd.y;
  }
  backward(dy: Tensor): Tensor {
    if (!this.active) return dy;
    return (this.dx = ops.dropoutGrad(dy, this.fwd!.mask, this.dx));
  }
}
