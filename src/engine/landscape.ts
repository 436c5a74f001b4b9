/**
 * The loss landscape and gradient predictiveness of Santurkar et al. (2018, "How does batch normalization
 * help optimization?", Sec. 3.1, Fig. 4), at the model's current weights w on one batch, in train mode:
 * with g = ∇L(w), for each step size η the loss L(w − η·g) and the gradient change ‖∇L(w − η·g) − ∇L(w)‖₂
 * (over all parameters). Backend-agnostic (the model's own forward/backward); every parameter, gradient and
 * buffer (running statistics, batch counts) is restored exactly afterwards, and before each η (Batch Renorm
 * reads its running statistics in train mode), so training goes on as if nothing was measured.
 */
import { readFloats, write } from './backend';
import { crossEntropy, type Sequential } from './model';
import type { Labels } from './ops';
import type { Tensor } from './tensor';

export interface LandscapePoint {
  eta: number;
  /** L(w − η·g) */
  loss: number;
  /** ‖∇L(w − η·g) − ∇L(w)‖₂ */
  gradChange: number;
}

export interface Landscape {
  /** L(w) */
  loss: number;
  /** ‖∇L(w)‖₂ */
  gradNorm: number;
  points: LandscapePoint[];
}

const norm = (a: readonly Float32Array[], b?: readonly Float32Array[]) =>
  Math.sqrt(a.reduce((s, v, i) => s + v.reduce((t, x, j) => t + (x - (b ? b[i][j] : 0)) ** 2, 0), 0));

export async function measureLandscape(model: Sequential, x: Tensor, labels: Labels, etas: readonly number[]): Promise<Landscape> {
  const params = model.params().map((p) => p.param);
  const state = [...model.stateDict().values()].map((e) => e.tensor);
  const [saved, savedGrads] = await Promise.all([Promise.all(state.map(readFloats)), Promise.all(params.map((p) => readFloats(p.grad)))]);
  const restore = () => state.forEach((t, i) => write(t, saved[i]));
  const lossAndGrad = async () => {
    const r = crossEntropy(model.forward(x), labels);
    model.backward(r.dLogits!);
    const [metrics, grads] = await Promise.all([readFloats(r.metrics), Promise.all(params.map((p) => readFloats(p.grad)))]);
    return { loss: metrics[2 * r.slot], grads };
  };
  const wasTraining = model.training;
  model.train();
  try {
    const at = await lossAndGrad();
    const weights = await Promise.all(params.map((p) => readFloats(p.value)));
    const points: LandscapePoint[] = [];
    for (const eta of etas) {
      restore();
      params.forEach((p, i) => write(p.value, weights[i].map((w, j) => w - eta * at.grads[i][j])));
      const moved = await lossAndGrad();
      points.push({ eta, loss: moved.loss, gradChange: norm(moved.grads, at.grads) });
    }
    return { loss: at.loss, gradNorm: norm(at.grads), points };
  } finally {
    restore();
    params.forEach((p, i) => write(p.grad, savedGrads[i]));
    model.training = wasTraining;
  }
}
