/**
 * measureLandscape (Santurkar et al. 2018: loss and gradient change along the gradient) against
 * scripts/torch/landscape.py, PyTorch written from the paper's definition, on a tiny model with and
 * without BN. Needs /usr/bin/python3 with torch: without it this FAILS, it does not skip.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFloats } from '../../../src/engine/backend';
import { measureLandscape, type Landscape } from '../../../src/engine/landscape';
import { buildModel, crossEntropy } from '../../../src/engine/model';
import { Rng } from '../../../src/engine/rng';
import { Tensor } from '../../../src/engine/tensor';

const ROOT = join(__dirname, '..', '..', '..');
const ETAS = [0.05, 0.2, 0.5, 1, 2];
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('loss landscape and gradient predictiveness (Santurkar et al. 2018)', () => {
  for (const bn of [true, false]) {
    it(`${bn ? 'with' : 'without'} BN: L(w − ηg) and ‖∇L(w − ηg) − ∇L(w)‖ match PyTorch (≤ 1e-5 relative); weights, gradients and buffers are restored bit for bit`, async () => {
      const model = buildModel(`linear(6) ${bn ? 'bn ' : ''}relu linear(3)`, { sampleShape: [4], numClasses: 3, seed: 5 });
      const rng = new Rng(9);
      const x = new Tensor([8, 4], Float32Array.from({ length: 32 }, () => rng.normal()));
      const labels = Int32Array.from({ length: 8 }, (_, i) => i % 3);
      // Gradients from an earlier step, which the measurement must leave as they were.
      model.backward(crossEntropy(model.forward(x), labels).dLogits!);
      const before = await Promise.all([...model.stateDict().values(), ...model.params().map((p) => ({ tensor: p.param.grad }))].map((e) => readFloats(e.tensor)));
      const ours = await measureLandscape(model, x, labels, ETAS);
      const after = await Promise.all([...model.stateDict().values(), ...model.params().map((p) => ({ tensor: p.param.grad }))].map((e) => readFloats(e.tensor)));
      assert.deepEqual(after, before, 'the state after the measurement differs from the state before');

      const state = Object.fromEntries([...model.stateDict().keys()].map((k, i) => [k, Array.from(before[i])]));
      const run = spawnSync('/usr/bin/python3', [join('scripts', 'torch', 'landscape.py')], {
        cwd: ROOT, encoding: 'utf8', input: JSON.stringify({ bn, state, x: Array.from({ length: 8 }, (_, i) => Array.from(x.data.subarray(4 * i, 4 * i + 4))), labels: Array.from(labels), etas: ETAS }),
      });
      assert.equal(run.status, 0, `landscape.py failed (${run.error?.message ?? run.stderr})`);
      const ref = JSON.parse(run.stdout) as Landscape;
      const pairs: Array<[string, number, number]> = [['L(w)', ours.loss, ref.loss], ['‖g‖', ours.gradNorm, ref.gradNorm]];
      ours.points.forEach((p, i) => pairs.push([`L(w − ${p.eta}g)`, p.loss, ref.points[i].loss], [`gradient change at η ${p.eta}`, p.gradChange, ref.points[i].gradChange]));
      for (const [what, a, b] of pairs) assert.ok(rel(a, b) <= 1e-5, `${what}: ${a} vs PyTorch ${b} (relative ${rel(a, b).toExponential(2)})`);
      assert.ok(ours.points.every((p) => p.gradChange > 0) && new Set(ours.points.map((p) => p.loss)).size === ETAS.length, 'the points should differ');
    });
  }
});
