/**
 * Optimizers with torch.optim 1.13's update formulas (single-tensor, non-amsgrad, non-maximize),
 * run by each backend's SgdStep/AdamStep kernels; state is float32 like PyTorch's.
 */
import { empty } from './backend';
import { UserError } from './errors';
import type { Param } from './layers/layer';
import * as ops from './ops';
import type { Tensor } from './tensor';

export interface Optimizer {
  lr: number;
  step(): void;
}

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** torch.optim.SGD (the update is the SgdStep kernel); momentum buffers live on the params' backend. */
export class SGD implements Optimizer {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private bufs: (Tensor | null)[];

  constructor(readonly params: Param[], o: SgdOptions) {
    this.lr = o.lr;
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new UserError('nesterov momentum requires a momentum > 0 and zero dampening');
    this.bufs = params.map(() => null);
  }

  step(): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = this;
    this.params.forEach((p, k) => {
      const first = this.bufs[k] === null;
      if (momentum !== 0 && first) this.bufs[k] = empty(p.value.shape);
      ops.sgdStep(p.value, p.grad, this.bufs[k], { lr, momentum, dampening, nesterov, weightDecay, first });
    });
  }
}

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * torch.optim.Adam: g += wd·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 * p −= lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε).  AdamW instead first does p *= 1 − lr·wd (decoupled).
 * The update is the AdamStep kernel; the moments are allocated on the params' backend at the first step.
 */
export class Adam implements Optimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  t = 0;
  private moments: { m: Tensor; v: Tensor }[] = [];

  constructor(readonly params: Param[], o: AdamOptions, readonly decoupled = false) {
    this.lr = o.lr;
    [this.beta1, this.beta2] = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? (decoupled ? 1e-2 : 0);
  }

  step(): void {
    const { lr, beta1, beta2, eps, weightDecay, decoupled } = this;
    this.t++;
    if (this.moments.length === 0) this.moments = this.params.map((p) => ({ m: empty(p.value.shape), v: empty(p.value.shape) }));
    const attrs = { lr, beta1, beta2, eps, weightDecay, decoupled, stepSize: lr / (1 - beta1 ** this.t), bc2Sqrt: Math.sqrt(1 - beta2 ** this.t) };
    this.params.forEach((p, k) => ops.adamStep(p.value, p.grad, this.moments[k].m, this.moments[k].v, attrs));
  }
}

export class AdamW extends Adam {
  constructor(params: Param[], o: AdamOptions) {
    super(params, o, true);
  }
}

export type OptimizerName = 'sgd' | 'adam' | 'adamw';
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'adam', 'adamw'];

export interface OptimizerConfig {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  betas?: [number, number];
  eps?: number;
}

export function createOptimizer(name: string, params: Param[], c: OptimizerConfig): Optimizer {
  switch (name) {
    case 'sgd':
      return new SGD(params, { lr: c.lr, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay });
    case 'adam':
      return new Adam(params, { lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay });
    case 'adamw':
      return new AdamW(params, { lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay });
    default:
      throw new UserError(`unknown optimizer "${name}" (expected ${OPTIMIZERS.join(', ')})`);
  }
}
