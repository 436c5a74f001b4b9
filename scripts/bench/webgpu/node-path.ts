/**
 * The Node side of `npm run bench:webgpu`: both WebGPU engines on Dawn (npm `webgpu`), BN Lab's CPU
 * backend on the same step, and the printed comparison. Used by run.ts and by gpu-machine.ts.
 */
import { Adam, Tensor, buildModel, crossEntropy } from '../../../src/engine';
import { initNodeWebGpu, nodeGpu } from '../../../src/engine/backends/webgpu/node';
import { benchWebGpu, type BenchResult } from './steps';

/** Both engines in this process, on Dawn; TensorFlow.js finds Dawn as navigator.gpu. */
export async function benchOnDawn(steps: number, warmup: number): Promise<BenchResult> {
  const { gpu, compatibility } = await nodeGpu();
  // TensorFlow.js gets the adapter BN Lab gets (OpenGL ES adapters exist only in compatibility mode).
  const requestAdapter = (o?: GPURequestAdapterOptions) => gpu.requestAdapter(compatibility ? { ...o, featureLevel: 'compatibility' } as GPURequestAdapterOptions : o);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: Object.assign(Object.create(gpu), { requestAdapter }) }, configurable: true });
  return benchWebGpu(initNodeWebGpu, async () => {
    // @ts-ignore -- installed on demand, absent on a fresh clone (see steps.ts)
    const tf = await import('@tensorflow/tfjs');
    // @ts-ignore -- likewise
    await import('@tensorflow/tfjs-backend-webgpu');
    return tf;
  }, steps, warmup);
}

/** ms per training step of the seed net at batch 100 on BN Lab's CPU backend. */
export function cpuStepMs(steps: number, warmup: number): number {
  const model = buildModel('seed', { sampleShape: [1, 28, 28], numClasses: 10, seed: 0 }).train();
  const opt = new Adam(model.params().map((p) => p.param), { lr: 1e-3 });
  const x = new Tensor([100, 1, 28, 28]).data.map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const xt = new Tensor([100, 1, 28, 28], x), labels = Int32Array.from({ length: 100 }, (_, i) => i % 10);
  const step = () => {
    const r = crossEntropy(model.forward(xt), labels);
    model.backward(r.dLogits!);
    opt.step();
  };
  for (let i = 0; i < warmup; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  return (performance.now() - t0) / steps;
}

export function printBench(where: string, steps: number, warmup: number, r: BenchResult, cpuMs: number): void {
  const rate = (ms: number) => (1000 / ms).toFixed(2);
  console.log(`seed net, batch 100, Adam 1e-3, ${steps} steps after ${warmup} warm-up, ${where}; adapter: ${r.adapter}`);
  console.log(`  BN Lab WebGPU          ${rate(r.bnlab.stepMs).padStart(8)} steps/s (${r.bnlab.stepMs.toFixed(1)} ms/step)`);
  if ('stepMs' in r.tfjs) {
    console.log(`  tfjs-backend-webgpu    ${rate(r.tfjs.stepMs).padStart(8)} steps/s (${r.tfjs.stepMs.toFixed(1)} ms/step)`);
    console.log(`  ratio BN Lab / tfjs    ${(r.tfjs.stepMs / r.bnlab.stepMs).toFixed(2)}x steps/s`);
  } else console.log(`  tfjs-backend-webgpu    failed: ${r.tfjs.error}`);
  console.log(`  BN Lab CPU (Node)      ${rate(cpuMs).padStart(8)} steps/s (${cpuMs.toFixed(1)} ms/step); WebGPU / CPU ${(cpuMs / r.bnlab.stepMs).toFixed(2)}x`);
  console.log(`  BN2d fwd+bwd [100,32,28,28] on WebGPU: ${r.bnlab.bnMs.toFixed(2)} ms, ${r.bnlab.bnGBs.toFixed(1)} GB/s (6 tensor passes)`);
  if (/software/.test(r.adapter)) console.log('  (software adapter: these speeds say nothing about a GPU; only correctness counts here)');
}
