import assert from 'node:assert/strict';
import { Adam, AdamW, CosineAnnealingLR, createOptimizer, SGD, StepLR, Tensor, UserError, type Optimizer, type Param } from '../../../src/engine';

// Reference trajectories from torch 1.13 (param [1, -2, 0.5], these grads, three steps each).
const GRADS = [[0.5, -1, 2], [-0.25, 0.75, 1.5], [1, 0, -3]];
const TORCH: Record<string, number[][]> = {
  sgd: [[0.939999998, -1.879999995, 0.294999987], [0.901600003, -1.828199983, -0.04245], [0.758023977, -1.763297915, -0.045730472]],
  sgdNesterov: [[0.904999971, -1.809999943, 0.119999997], [0.912, -1.871499896, -0.326999992], [0.705799997, -1.859349847, -0.024299968]],
  sgdPlain: [[0.949999988, -1.899999976, 0.300000012], [0.974999964, -1.975000024, 0.150000006], [0.87499994, -1.975000024, 0.450000018]],
  adam: [[0.900000036, -1.899999976, 0.400000006], [0.854441404, -1.870767236, 0.301727474], [0.781504452, -1.839448929, 0.300478667]],
  adamBetas: [[0.990019977, -1.990010023, 0.490004987], [0.98788321, -1.989693761, 0.480195642], [0.981158018, -1.989458919, 0.481124133]],
  adamw: [[0.890000045, -1.879999995, 0.395000011], [0.854466379, -1.852267504, 0.292792499], [0.780110538, -1.826840043, 0.290355474]],
};
const OPTS: Record<string, (p: Param[]) => Optimizer> = {
  sgd: (p) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.1 }),
  sgdNesterov: (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true }),
  sgdPlain: (p) => new SGD(p, { lr: 0.1 }),
  adam: (p) => new Adam(p, { lr: 0.1, weightDecay: 0.1 }),
  adamBetas: (p) => new Adam(p, { lr: 0.01, betas: [0.8, 0.9], eps: 1e-3 }),
  adamw: (p) => new AdamW(p, { lr: 0.1, weightDecay: 0.1 }),
};

const param = (): Param => ({ name: 'w', value: Tensor.from([3], [1, -2, 0.5]), grad: new Tensor([3]) });

describe('optimizers (torch.optim 1.13 formulas)', () => {
  for (const name of Object.keys(TORCH)) {
    it(`${name} follows torch's trajectory over three steps`, () => {
      const p = param(), opt = OPTS[name]([p]);
      GRADS.forEach((g, step) => {
        p.grad.data.set(g);
        opt.step();
        TORCH[name][step].forEach((want, i) => assert.ok(Math.abs(p.value.data[i] - want) < 1e-6, `step ${step + 1} [${i}]: ${p.value.data[i]} vs ${want}`));
      });
    });
  }

  it('lr 0 leaves every weight unchanged (Adam, AdamW with decay, SGD with momentum)', () => {
    for (const name of ['adam', 'adamw', 'sgd']) {
      const p = param(), opt = createOptimizer(name, [p], { lr: 0, momentum: 0.9, weightDecay: 0.1 });
      for (const g of GRADS) {
        p.grad.data.set(g);
        opt.step();
      }
      assert.deepEqual(Array.from(p.value.data), Array.from(param().value.data), name);
    }
  });

  it('rejects an unknown optimizer and nesterov without momentum', () => {
    assert.throws(() => createOptimizer('rmsprop', [], { lr: 1 }), (e: unknown) => e instanceof UserError && /unknown optimizer "rmsprop"/.test(e.message));
    assert.throws(() => new SGD([], { lr: 1, nesterov: true }), /nesterov/);
  });
});

describe('LR schedules (torch.optim.lr_scheduler)', () => {
  it('StepLR(step_size=2, gamma=0.5)', () => {
    const s = new StepLR(1, 2, 0.5);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((t) => s.lrAt(t)), [1, 1, 0.5, 0.5, 0.25, 0.25]);
  });
  it('CosineAnnealingLR(T_max=4, eta_min=0.1)', () => {
    // torch: [1.0, 0.8681980515, 0.55, 0.2318019485, 0.1]
    const s = new CosineAnnealingLR(1, 4, 0.1);
    [1.0, 0.8681980515, 0.55, 0.2318019485, 0.1].forEach((want, t) => assert.ok(Math.abs(s.lrAt(t) - want) < 1e-9, `t=${t}: ${s.lrAt(t)}`));
  });
});
