import * as ops from '../ops';
import { empty, getBackend, upload } from '../backend';
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
  /**
   * Ghost BN (Hoffer et al. 2017): training statistics over virtual batches of this many samples.
   * A batch of N = K·g splits into K strided virtual batches, sample n in virtual batch n mod K (the
   * [N, C, …] tensor read as [g, K·C, …]); running statistics take the K updates in order, k = 0…K−1.
   */
  ghost?: number;
  /** Batch Renormalization (Ioffe 2017); eval is plain BN inference with the running statistics. */
  renorm?: RenormOptions;
}

/** rmax and dmax ramp linearly from 1 and 0 at step 0 to their values at step `warmup` (kernels.ts, BatchRenormCorrection). */
export interface RenormOptions {
  rmax: number;
  dmax: number;
  warmup: number;
}

export const BN_DEFAULTS: BnOptions = { momentum: 0.1, eps: 1e-5, affine: true, track: true, frozen: false };
export const KERAS_BN_DEFAULTS = { momentum: 0.99, eps: 1e-3 };
export const RENORM_DEFAULTS: RenormOptions = { rmax: 3, dmax: 5, warmup: 5000 };

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
  /** Ghost BN: the last training forward's mean and biased variance per virtual batch, [K, C]. */
  lastGhostMean?: Tensor;
  lastGhostVar?: Tensor;
  /** Batch renorm: the last training forward's r and d, [C]. */
  lastRenorm?: { r: Tensor; d: Tensor };
  private inShape: Shape = [];
  private saved?: ops.NormSaved;
  /** Ghost BN: x̂ over the virtual batches; batch renorm: x̂_B (batch statistics) and the r/σ_B scale. */
  private savedInner?: ops.NormSaved;
  private mode: 'batch' | 'running' | 'ghost' | 'renorm' = 'batch';
  private renormOut?: ops.BatchRenormOut;
  private innerGrads?: ops.NormGrads;
  /** Ghost BN's affine step as batchNormInfer with mean 0, variance 1, eps 0 (exact: invStd is 1). */
  private unit?: { zeros: Tensor; ones: Tensor };
  // Previous op results, passed back as `out` so their buffers are reused.
  private trainOut?: ops.BatchNormTrainResult;
  private inferOut?: ops.NormResult;
  private gradOut?: ops.NormGrads;

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
    if (o.ghost !== undefined) parts.push(`ghost=${o.ghost}`);
    if (o.renorm) {
      parts.push('renorm');
      for (const k of ['rmax', 'dmax', 'warmup'] as const) if (o.renorm[k] !== RENORM_DEFAULTS[k]) parts.push(`${k}=${o.renorm[k]}`);
    }
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
    this.lastInput = x;
    this.lastMean = this.lastVar = this.lastGhostMean = this.lastGhostVar = this.lastRenorm = undefined;
    let y: Tensor;
    if (!useBatchStats) {
      y = this.normalize(x4, this.runningMean!, this.runningVar!);
      this.mode = 'running';
    } else {
      const K = this.virtualBatches(x);
      const r = this.batchStats(K === 1 ? x4 : x4.reshape([x.shape[0] / K, K * this.numFeatures, ...x4.shape.slice(2)]));
      const update = training && this.opts.track;
      if (this.opts.renorm && update) {
        y = this.renormalize(x4, r);
      } else if (K > 1) {
        y = this.ghostAffine(x4, r);
      } else {
        y = r.y;
        this.saved = r;
        this.mode = 'batch';
        [this.lastMean, this.lastVar] = [r.mean, r.varBiased];
      }
      if (this.opts.ghost !== undefined) [this.lastGhostMean, this.lastGhostVar] = [r.mean, r.varBiased].map((t) => t.reshape([K, this.numFeatures]));
      if (update) ops.batchNormRunningStats(r.mean, r.varUnbiased, this.runningMean!, this.runningVar!, this.numBatchesTracked!, this.opts.momentum);
    }
    this.lastOutput = y = y.reshape(x.shape);
    return y;
  }

  /** Ghost BN's K virtual batches for a batch of N (1 when the batch is no bigger than one virtual batch). */
  private virtualBatches(x: Tensor): number {
    const g = this.opts.ghost, N = x.shape[0];
    if (g === undefined || N <= g) return 1;
    if (N % g !== 0) throw new UserError(`a batch of ${N} samples does not split into virtual batches of ${g}; use a batch size that is a multiple of ${g}`);
    return N / g;
  }

  /** Batch statistics of x ([N, C, S], or Ghost BN's [g, K·C, S]); affine only without Ghost BN. */
  private batchStats(x: Tensor): ops.BatchNormTrainResult {
    if (x.size / x.shape[1] <= 1) throw new UserError(`expected more than 1 value per channel when training, got input size ${shapeToString(this.lastInput!.shape)}`);
    const plain = x.shape[1] === this.numFeatures && !this.opts.renorm;
    return (this.trainOut = ops.batchNormTrain(x, plain ? this.gamma : null, plain ? this.beta : null, this.opts.eps, this.trainOut));
  }

  private get gamma(): Tensor | null {
    return this.weight?.value ?? null;
  }

  private get beta(): Tensor | null {
    return this.bias?.value ?? null;
  }

  /** y = γ·(x − mean)/√(var + eps) + β; saved for the backward with constant statistics. */
  private normalize(x4: Tensor, mean: Tensor, variance: Tensor, eps = this.opts.eps): Tensor {
    const r = (this.inferOut = ops.batchNormInfer(x4, mean, variance, this.gamma, this.beta, eps, this.inferOut));
    this.saved = r;
    return r.y;
  }

  /** Ghost BN: x̂ over the virtual batches (r.y, no affine), then γ·x̂ + β per channel. */
  private ghostAffine(x4: Tensor, r: ops.BatchNormTrainResult): Tensor {
    this.savedInner = r;
    this.mode = 'ghost';
    const xhat = r.y.reshape(x4.shape);
    if (!this.opts.affine) return xhat;
    const C = this.numFeatures;
    if (this.unit?.ones.backend !== getBackend()) this.unit = { zeros: empty([C]), ones: upload([C], new Float32Array(C).fill(1)) };
    return this.normalize(xhat, this.unit.zeros, this.unit.ones, 0);
  }

  /**
   * Batch renorm: r, d from the batch and (not yet updated) running statistics, then
   * y = γ·(r·x̂_B + d) + β as batchNormInfer with the corrected mean and variance.
   */
  private renormalize(x4: Tensor, r: ops.BatchNormTrainResult): Tensor {
    const c = (this.renormOut = ops.batchRenormCorrection(
      r.mean, r.varBiased, this.runningMean!, this.runningVar!, this.numBatchesTracked!, { eps: this.opts.eps, ...this.opts.renorm! }, this.renormOut,
    ));
    const y = this.normalize(x4, c.mean, c.variance);
    this.savedInner = { xhat: r.xhat, invStd: this.saved!.invStd };
    this.mode = 'renorm';
    [this.lastMean, this.lastVar, this.lastRenorm] = [r.mean, r.varBiased, { r: c.r, d: c.d }];
    return y;
  }

  backward(dy: Tensor, _needDx: boolean): Tensor | null {
    const dy4 = this.inShape.length === 2 ? dy.reshape([...dy.shape, 1]) : dy;
    const out = { ...this.gradOut, dgamma: this.weight?.grad ?? this.gradOut?.dgamma, dbeta: this.bias?.grad ?? this.gradOut?.dbeta };
    const backward = (g: Tensor, saved: ops.NormSaved, gamma: Tensor | null, training: boolean, o?: Partial<ops.NormGrads>) =>
      ops.batchNormBackward(g.reshape(saved.xhat.shape), saved, gamma, training, o);
    if (this.mode === 'batch' || this.mode === 'running') {
      this.gradOut = backward(dy4, this.saved!, this.gamma, this.mode === 'batch', out);
      return this.gradOut.dx.reshape(dy.shape);
    }
    // Ghost BN: through the affine step (dγ, dβ, dy·γ), then through the virtual batches' statistics.
    // Batch renorm (r, d constants): dγ = Σ dy·(r·x̂_B + d); dx is BN's with σ_B/r for σ_B.
    let inner = dy4;
    if (this.opts.affine) {
      const g = (this.gradOut = backward(dy4, this.saved!, this.gamma, false, out));
      if (this.mode === 'ghost') inner = g.dx;
    }
    const g = (this.innerGrads = backward(inner, this.savedInner!, this.mode === 'renorm' ? this.gamma : null, true, this.innerGrads));
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
