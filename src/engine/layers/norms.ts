import * as ops from '../ops';
import { UserError } from '../errors';
import type { Rng } from '../rng';
import { sizeOf, type Shape, type Tensor } from '../tensor';
import type { ForwardContext, Layer, Param, StateBuffer } from './layer';
import { fmtArgs, makeParam, shapeError } from './common';


/** Reuse the previous grads' buffers; γ/β gradients go straight into the params' grad buffers. */
function gradOut(prev: ops.NormGrads | undefined, w: Param | null, b: Param | null): Partial<ops.NormGrads> {
  return { dx: prev?.dx, dgamma: w?.grad ?? prev?.dgamma, dbeta: b?.grad ?? prev?.dbeta };
}

function affineParams(shape: Shape): [Param, Param] {
  const w = makeParam('weight', shape);
  w.value.data.fill(1);
  return [w, makeParam('bias', shape)];
}

/** nn.LayerNorm(sampleShape): normalizes over all non-batch dims; weight/bias have the sample shape. */
export class LayerNorm implements Layer {
  readonly kind = 'layernorm';
  weight: Param | null = null;
  bias: Param | null = null;
  private size = 0;
  private fwd?: ops.NormResult;
  private grads?: ops.NormGrads;
  constructor(readonly eps = 1e-5, readonly affine = true) {}
  describe(): string {
    return fmtArgs('layernorm', [], [['eps', this.eps, 1e-5], ['affine', this.affine, true]]);
  }
  build(inShape: Shape, _rng: Rng): Shape {
    this.size = sizeOf(inShape);
    if (this.affine) [this.weight, this.bias] = affineParams(inShape);
    return inShape;
  }
  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    this.fwd = ops.layerNorm(x, this.size, this.weight?.value ?? null, this.bias?.value ?? null, this.eps, this.fwd);
    return this.fwd.y;
  }
  backward(dy: Tensor): Tensor {
    this.grads = ops.layerNormBackward(dy, this.fwd!, this.weight?.value ?? null, gradOut(this.grads, this.weight, this.bias));
    return this.grads.dx;
  }
  params(): Param[] {
    return this.weight && this.bias ? [this.weight, this.bias] : [];
  }
  buffers(): StateBuffer[] {
    return [];
  }
}

/**
 * nn.GroupNorm(groups, C) (affine by default) and nn.InstanceNorm1d/2d(C) (= groups C;
 * PyTorch's defaults affine=False, track_running_stats=False).
 */
export class GroupNorm implements Layer {
  weight: Param | null = null;
  bias: Param | null = null;
  groups = 0;
  private fwd?: ops.NormResult;
  private grads?: ops.NormGrads;
  constructor(readonly kind: 'groupnorm' | 'instancenorm', readonly requestedGroups: number, readonly eps = 1e-5, readonly affine = true) {}
  describe(): string {
    if (this.kind === 'instancenorm') return fmtArgs('instancenorm', [], [['eps', this.eps, 1e-5], ['affine', this.affine, false]]);
    return fmtArgs('groupnorm', [this.requestedGroups], [['eps', this.eps, 1e-5], ['affine', this.affine, true]]);
  }
  build(inShape: Shape, _rng: Rng): Shape {
    if (this.kind === 'instancenorm' ? inShape.length < 2 : inShape.length < 1) {
      throw shapeError('[channels, length] or [channels, height, width]', inShape);
    }
    const c = inShape[0];
    this.groups = this.kind === 'instancenorm' ? c : this.requestedGroups;
    if (c % this.groups !== 0) throw new UserError(`${this.groups} groups must divide the ${c} channels`);
    if (this.affine) [this.weight, this.bias] = affineParams([c]);
    return inShape;
  }
  forward(x: Tensor, _ctx: ForwardContext): Tensor {
    this.fwd = ops.groupNorm(x, this.groups, this.weight?.value ?? null, this.bias?.value ?? null, this.eps, this.fwd);
    return this.fwd.y;
  }
  backward(dy: Tensor): Tensor {
    this.grads = ops.groupNormBackward(dy, this.fwd!, this.weight?.value ?? null, this.groups, gradOut(this.grads, this.weight, this.bias));
    return this.grads.dx;
  }
  params(): Param[] {
    return this.weight && this.bias ? [this.weight, this.bias] : [];
  }
  buffers(): StateBuffer[] {
    return [];
  }
}
