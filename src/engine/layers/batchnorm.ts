import * as ops from '../ops';
import { UserError } from '../errors';
import type { Rng } from '../rng';
import { Tensor, shapeToString, type Shape } from '../tensor';
import type { ForwardContext, Layer, Param, StateBuffer } from './layer';
import { makeParam, shapeError } from './common';

export interface BnOptions {
  /** PyTorch convention: running = (1−m)·running + m·batch; null = cumulative average (1/num_batches_tracked). */
  momentum: number | null;
  eps: number;
  affine: boolean;
  /** track_running_stats; off ⇒ batch statistics in eval too and no running buffers. */
  track: boolean;
  /** Always in eval mode, even inside a training model (fine-tuning). γ/β still get gradients. */
  frozen: boolean;
  /** Keras convention as given (moving = moving·m + batch·(1−m)); `momentum` then holds 1−m. */
  kerasMomentum?: number;
}

export const BN_DEFAULTS: BnOptions = { momentum: 0.1, eps: 1e-5, affine: true, track: true, frozen: false };
export const KERAS_BN_DEFAULTS = { momentum: 0.99, eps: 1e-3 };

/**
 * nn.BatchNorm1d ([C] or [C, L] samples) / nn.BatchNorm2d ([C, H, W] samples), PyTorch 1.13 semantics:
 * normalize with the biased batch variance, update running_var with the unbiased one.
 */
export class BatchNorm implements Layer {
  readonly kind = 'bn';
  numFeatures = 0;
  weight: Param | null = null;
  bias: Param | null = null;
  runningMean: Tensor | null = null;
  runningVar: Tensor | null = null;
  numBatchesTracked: Tensor | null = null;
  /** Last forward's input and output (for stats); batch mean/biased var when batch stats were used. */
  lastInput?: Tensor;
  lastOutput?: Tensor;
  lastMean?: Tensor;
  lastVar?: Tensor;
  private inShape: Shape = [];
  private saved?: { xhat: Tensor; invStd: Tensor };
  // Previous op results, passed back as `out` so their buffers are reused.
  private trainOut?: ops.BatchNormTrainResult;
  private inferOut?: ops.NormResult;
  private gradOut?: Partial<ops.NormGrads>;
  private savedTraining = false;

  constructor(readonly opts: BnOptions) {}

  /** 1 for BatchNorm1d, 2 for BatchNorm2d. */
  get dims(): 1 | 2 {
    return this.inShape.length === 3 ? 2 : 1;
  }

  describe(): string {
    const o = this.opts;
    const parts: string[] = [];
    if (o.kerasMomentum !== undefined) {
      parts.push('keras');
      if (o.kerasMomentum !== KERAS_BN_DEFAULTS.momentum) parts.push(`momentum=${o.kerasMomentum}`);
      if (o.eps !== KERAS_BN_DEFAULTS.eps) parts.push(`eps=${o.eps}`);
    } else {
      if (o.momentum !== BN_DEFAULTS.momentum) parts.push(`momentum=${o.momentum ?? 'none'}`);
      if (o.eps !== BN_DEFAULTS.eps) parts.push(`eps=${o.eps}`);
    }
    if (!o.affine) parts.push('affine=false');
    if (!o.track) parts.push('track=false');
    if (o.frozen) parts.push('frozen');
    return parts.length ? `bn(${parts.join(',')})` : 'bn';
  }

  build(inShape: Shape, _rng: Rng): Shape {
    if (inShape.length < 1 || inShape.length > 3) throw shapeError('[features], [channels, length] or [channels, height, width]', inShape);
    this.inShape = inShape;
    const c = (this.numFeatures = inShape[0]);
    if (this.opts.affine) {
      this.weight = makeParam('weight', [c]);
      this.weight.value.data.fill(1);
      this.bias = makeParam('bias', [c]);
    }
    if (this.opts.track) {
      this.runningMean = new Tensor([c]);
      this.runningVar = Tensor.filled([c], 1);
      this.numBatchesTracked = new Tensor([]);
    }
    return inShape;
  }

  forward(x: Tensor, ctx: ForwardContext): Tensor {
    const training = ctx.training && !this.opts.frozen;
    const useBatchStats = training || !this.opts.track;
    const x4 = this.inShape.length === 2 ? x.reshape([...x.shape, 1]) : x;
    const gamma = this.weight?.value ?? null;
    const beta = this.bias?.value ?? null;
    this.lastInput = x;
    let y: Tensor;
    if (useBatchStats) {
      const perChannel = x.size / this.numFeatures;
      if (perChannel <= 1) throw new UserError(`expected more than 1 value per channel when training, got input size ${shapeToString(x.shape)}`);
      const r = (this.trainOut = ops.batchNormTrain(x4, gamma, beta, this.opts.eps, this.trainOut));
      if (training && this.opts.track) {
        ops.batchNormRunningStats(r.mean, r.varUnbiased, this.runningMean!, this.runningVar!, this.numBatchesTracked!, this.opts.momentum);
      }
      this.saved = { xhat: r.xhat, invStd: r.invStd };
      this.lastMean = r.mean;
      this.lastVar = r.varBiased;
      y = r.y;
    } else {
      const r = (this.inferOut = ops.batchNormInfer(x4, this.runningMean!, this.runningVar!, gamma, beta, this.opts.eps, this.inferOut));
      this.saved = { xhat: r.xhat, invStd: r.invStd };
      this.lastMean = this.lastVar = undefined;
      y = r.y;
    }
    this.savedTraining = useBatchStats;
    this.lastOutput = y = y.reshape(x.shape);
    return y;
  }


  backward(dy: Tensor, _needDx: boolean): Tensor | null {
    const dy4 = this.inShape.length === 2 ? dy.reshape([...dy.shape, 1]) : dy;
    const out = { ...this.gradOut, dgamma: this.weight?.grad ?? this.gradOut?.dgamma, dbeta: this.bias?.grad ?? this.gradOut?.dbeta };
    const g = (this.gradOut = ops.batchNormBackward(dy4, this.saved!, this.weight?.value ?? null, this.savedTraining, out));
    return g.dx.reshape(dy.shape);
  }

  params(): Param[] {
    return this.weight && this.bias ? [this.weight, this.bias] : [];
  }

  buffers(): StateBuffer[] {
    if (!this.opts.track) return [];
    return [
      { name: 'running_mean', value: this.runningMean!, dtype: 'float32' },
      { name: 'running_var', value: this.runningVar!, dtype: 'float32' },
      { name: 'num_batches_tracked', value: this.numBatchesTracked!, dtype: 'int64' },
    ];
  }
}
