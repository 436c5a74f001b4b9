/**
 * LR schedules as torch.optim.lr_scheduler computes them, as a function of t = the number of
 * scheduler.step() calls so far. The trainer steps them once per epoch (PyTorch's usual loop)
 * or, with `per: 'step'`, once per optimizer step.
 */
export interface LrSchedule {
  lrAt(t: number): number;
}

export class ConstantLR implements LrSchedule {
  constructor(readonly baseLr: number) {}
  lrAt(): number {
    return this.baseLr;
  }
}

/** StepLR(step_size, gamma): lr = base · gamma^⌊t / step_size⌋. */
export class StepLR implements LrSchedule {
  constructor(readonly baseLr: number, readonly stepSize: number, readonly gamma = 0.1) {}
  lrAt(t: number): number {
    return this.baseLr * this.gamma ** Math.floor(t / this.stepSize);
  }
}

/** CosineAnnealingLR(T_max, eta_min), closed form: eta_min + (base − eta_min)(1 + cos(π t / T_max)) / 2. */
export class CosineAnnealingLR implements LrSchedule {
  constructor(readonly baseLr: number, readonly tMax: number, readonly etaMin = 0) {}
  lrAt(t: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

export interface ScheduleConfig {
  kind: 'none' | 'step' | 'cosine';
  /** Scheduler steps per epoch (default) or per optimizer step. */
  per?: 'epoch' | 'step';
  /** StepLR step_size (in scheduler steps). */
  stepSize?: number;
  gamma?: number;
  /** CosineAnnealingLR T_max (default: the whole run in scheduler steps). */
  tMax?: number;
  etaMin?: number;
}

export function createSchedule(baseLr: number, c: ScheduleConfig | undefined, totalSchedulerSteps: number): LrSchedule {
  switch (c?.kind ?? 'none') {
    case 'step':
      return new StepLR(baseLr, c?.stepSize ?? 1, c?.gamma ?? 0.1);
    case 'cosine':
      return new CosineAnnealingLR(baseLr, c?.tMax ?? Math.max(1, totalSchedulerSteps), c?.etaMin ?? 0);
    default:
      return new ConstantLR(baseLr);
  }
}
