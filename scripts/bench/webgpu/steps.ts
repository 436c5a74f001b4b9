/**
 * What `npm run bench:webgpu` times, in a page or in Node: the seed net (conv 5x5 32 → BN → ReLU →
 * maxpool 2 → linear 128 → BN → ReLU → linear 10), batch 100, Adam 1e-3, trained on the same random
 * batch by BN Lab's WebGPU backend and by TensorFlow.js's WebGPU backend, each timed over `steps`
 * steps after warm-up, with one readback at the end (how each is fastest); plus BN2d
 * forward+backward alone on BN Lab.
 */
// @ts-ignore -- TensorFlow.js is installed on demand by bench:webgpu (scripts/bench/webgpu), absent on a fresh clone
import type * as Tf from '@tensorflow/tfjs';
import type { GpuContext } from '../../../src/engine/backends/webgpu';
import { empty, readFloats, setBackend, store, upload } from '../../../src/engine/backend';
import { buildModel, crossEntropy, type LossResult } from '../../../src/engine/model';
import * as ops from '../../../src/engine/ops';
import { Adam } from '../../../src/engine/optim';

const BATCH = 100;

function randomBatch(): { x: Float32Array; labels: Int32Array } {
  const x = new Float32Array(BATCH * 784);
  let s = 1;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296;
  }
  return { x, labels: Int32Array.from({ length: BATCH }, (_, i) => i % 10) };
}

async function timeSteps(steps: number, warmup: number, step: () => void, sync: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < warmup; i++) step();
  await sync();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  await sync();
  return (performance.now() - t0) / steps;
}

async function bnlab(init: () => Promise<GpuContext>, steps: number, warmup: number) {
  const ctx = await init();
  setBackend('webgpu');
  const { x, labels } = randomBatch();
  const model = buildModel('seed', { sampleShape: [1, 28, 28], numClasses: 10, seed: 0 }).to('webgpu').train();
  const opt = new Adam(model.params().map((p) => p.param), { lr: 1e-3 });
  const xt = upload([BATCH, 1, 28, 28], x), yt = upload([BATCH], labels);
  const metrics = empty([2]);
  let loss: LossResult | undefined;
  const stepMs = await timeSteps(steps, warmup, () => {
    loss = crossEntropy(model.forward(xt), yt, true, metrics, 0, loss);
    model.backward(loss.dLogits!);
    opt.step();
    store().flush();
  }, () => readFloats(metrics));
  // BN2d alone, at the seed net's shape.
  const bx = upload([BATCH, 32, 28, 28], new Float32Array(BATCH * 32 * 784).map((_, i) => Math.sin(i)));
  const dy = upload([BATCH, 32, 28, 28], new Float32Array(BATCH * 32 * 784).map((_, i) => Math.cos(i)));
  const gamma = upload([32], new Float32Array(32).fill(1)), beta = upload([32], new Float32Array(32));
  let r: ops.BatchNormTrainResult | undefined, g: ops.NormGrads | undefined;
  const bnMs = await timeSteps(steps * 4, warmup, () => {
    r = ops.batchNormTrain(bx, gamma, beta, 1e-5, r);
    g = ops.batchNormBackward(dy, r, gamma, true, g);
    store().flush();
  }, () => readFloats(g!.dgamma));
  setBackend('cpu');
  // Least traffic of BN forward + backward: x in, y and xhat out; dy and xhat in, dx out.
  const bnBytes = 6 * BATCH * 32 * 784 * 4;
  return { adapter: ctx.describe(), stepMs, bnMs, bnGBs: bnBytes / (bnMs / 1000) / 1e9 };
}

async function tfjs(tf: typeof Tf, steps: number, warmup: number) {
  if (!(await tf.setBackend('webgpu'))) throw new Error('its WebGPU backend did not start (no adapter it accepts)');
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, padding: 'same' }),
      tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128 }),
      tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      tf.layers.reLU(),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const { x, labels } = randomBatch();
  const xt = tf.tensor4d(x, [BATCH, 28, 28, 1]);
  const yt = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const opt = tf.train.adam(1e-3);
  let last: Tf.Scalar | null = null;
  const stepMs = await timeSteps(steps, warmup, () => {
    last?.dispose();
    last = opt.minimize(() => tf.losses.softmaxCrossEntropy(yt, model.apply(xt, { training: true }) as Tf.Tensor) as Tf.Scalar, true);
  }, () => last!.data());
  return { stepMs };
}

export interface BenchResult {
  adapter: string;
  bnlab: { stepMs: number; bnMs: number; bnGBs: number };
  tfjs: { stepMs: number } | { error: string };
}

/** BN Lab on the device `init` makes, then TensorFlow.js (`loadTf` imports it with its WebGPU backend registered). */
export async function benchWebGpu(init: () => Promise<GpuContext>, loadTf: () => Promise<typeof Tf>, steps: number, warmup: number): Promise<BenchResult> {
  const ours = await bnlab(init, steps, warmup);
  let ref: BenchResult['tfjs'];
  try {
    ref = await tfjs(await loadTf(), steps, warmup);
  } catch (e) {
    ref = { error: e instanceof Error ? e.message : String(e) };
  }
  return { adapter: ours.adapter, bnlab: ours, tfjs: ref };
}
