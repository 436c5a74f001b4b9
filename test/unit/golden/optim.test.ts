import assert from 'node:assert/strict';
import { createOptimizer } from '../../../src/engine/optim';
import { CosineAnnealingLR, StepLR } from '../../../src/engine/schedule';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Param } from '../../../src/engine/layers/layer';
import { FIXTURES, GoldenSet, maxErr, reportWorst } from './golden';

const set = new GoldenSet('optim');

describe('golden/optimizers and LR schedules vs PyTorch 1.13', () => {
  after(() => reportWorst('optim'));

  for (const name of set.names()) {
    it(`${name}: parameter after each of several steps (given grads incl. 0 and tiny ones)`, () => {
      const c = set.get(name);
      const a = c.attrs;
      const value = c.tensor('param').clone();
      const param: Param = { name: 'p', value, grad: value.clone() };
      const opt = createOptimizer(a.type, [param], {
        lr: a.lr, momentum: a.momentum, nesterov: a.nesterov, weightDecay: a.weight_decay, betas: a.betas, eps: a.eps,
      });
      for (let s = 0; s < a.steps; s++) {
        param.grad.data.set(c.tensor(`grad.${s}`).data);
        opt.step();
        c.check(`param.${s}`, value, { label: `param after step ${s + 1}` });
      }
    });
  }

  const schedules = JSON.parse(readFileSync(join(FIXTURES, 'lr_schedules.json'), 'utf8')).schedules;
  for (const [name, s] of Object.entries(schedules as Record<string, { type: string; base_lr: number; step_size: number; gamma: number; t_max: number; eta_min: number; lrs: number[] }>)) {
    it(`LR schedule ${name}: lr after t scheduler steps`, () => {
      const sched = s.type === 'step' ? new StepLR(s.base_lr, s.step_size, s.gamma) : new CosineAnnealingLR(s.base_lr, s.t_max, s.eta_min);
      const ours = s.lrs.map((_, t) => sched.lrAt(t));
      const { err, index } = maxErr(ours, s.lrs);
      assert.ok(err <= 1e-12, `${name}: lr at t=${index} is ${ours[index]}, PyTorch ${s.lrs[index]}`);
    });
  }
});
