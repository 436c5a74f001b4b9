import type { Shape, Tensor } from '../tensor';
import type { Rng } from '../rng';

/** A trainable tensor and its gradient (same shape), named as in PyTorch's state_dict ("weight", "bias"). */
export interface Param {
  name: string;
  value: Tensor;
  grad: Tensor;
}

/** Non-trainable state saved in checkpoints ("running_mean", "num_batches_tracked" stored as int64). */
export interface StateBuffer {
  name: string;
  value: Tensor;
  dtype: 'float32' | 'int64';
}

export interface ForwardContext {
  /** Model-level mode; a BN layer may still be frozen (eval) inside a training model. */
  training: boolean;
  rng: Rng;
}

/**
 * A layer of a Sequential model. Shapes exclude the batch dimension.
 * forward caches what backward needs; backward returns dL/dx and writes (not accumulates) param grads.
 */
export interface Layer {
  /** Spec keyword: conv, bn, relu, maxpool, linear, ... */
  readonly kind: string;
  /** Human-readable form, e.g. "conv(32,5,pad=2)". */
  describe(): string;
  /** Creates parameters for this input shape; returns the output shape, or throws naming the mismatch. */
  build(inShape: Shape, rng: Rng): Shape;
  forward(x: Tensor, ctx: ForwardContext): Tensor;
  /** needDx=false lets the first layer skip the input gradient. */
  backward(dy: Tensor, needDx: boolean): Tensor | null;
  params(): Param[];
  buffers(): StateBuffer[];
}
