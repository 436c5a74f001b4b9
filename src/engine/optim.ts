/**
 * Optimizers with torch.optim 1.13's update formulas (single-tensor, non-amsgrad, non-maximize).
 * State is float32 like PyTorch's; each element's arithmetic runs in double and is stored as float32.
 */
import { adamUpdate } from './backends/cpu/adam';
import { allocF32 } from './backends/cpu/heap';
import { UserError } from './errors';
import type { Param } from './layers/layer';

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

/** torch.optim.SGD: d = g + wd·p; buf = d (first step) else μ·buf + (1−τ)·d; d = nesterov ? d + μ·buf : buf; p −= lr·d. */
export class SGD implements Optimizer {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private bufs: (Float32Array | null)[];

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
    const { lr, momentum: mu, dampening, nesterov, weightDecay: wd } = this;
    this.params.forEach((p, k) => {
      const w = p.value.data, g = p.grad.data;
      let buf = this.bufs[k];
      const first = buf === null;
      if (mu !== 0 && !buf) buf = this.bufs[k] = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) {
        let d = wd !== 0 ? Math.fround(g[i] + wd * w[i]) : g[i];
        if (buf) {
          buf[i] = first ? d : mu * buf[i] + (1 - dampening) * d;
          d = nesterov ? Math.fround(d + mu * buf[i]) : buf[i];
        }
        w[i] = w[i] - lr * d;
      }
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
 */
export class Adam implements Optimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  t = 0;
  private m: Float32Array[];
  private v: Float32Array[];

  constructor(readonly params: Param[], o: AdamOptions, readonly decoupled = false) {
    this.lr = o.lr;
    [this.beta1, this.beta2] = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? (decoupled ? 1e-2 : 0);
    this.m = params.map((p) => allocF32(p.value.size));
    this.v = params.map((p) => allocF32(p.value.size));
  }

  step(): void {
    const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, decoupled } = this;
    this.t++;
    const stepSize = lr / (1 - b1 ** this.t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.t);
    this.params.forEach((p, k) => {
      const w = p.value.data, g = p.grad.data, m = this.m[k], v = this.v[k];
      if (adamUpdate(w, g, m, v, { beta1: b1, beta2: b2, eps, stepSize, bc2Sqrt, lr, weightDecay: wd, decoupled })) return;
      for (let i = 0; i < w.length; i++) {
        let gi = g[i];
        if (wd !== 0) {
          if (decoupled) w[i] = w[i] * (1 - lr * wd);
          else gi = Math.fround(gi + wd * w[i]);
        }
        m[i] = m[i] + (gi - m[i]) * (1 - b1);
        v[i] = v[i] * b2 + (1 - b2) * gi * gi;
        const denom = Math.fround(Math.fround(Math.sqrt(v[i])) / bc2Sqrt) + eps;
        w[i] = w[i] - stepSize * Math.fround(m[i] / Math.fround(denom));
      }
    });
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
