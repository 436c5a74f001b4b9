/**
 * The WGSL conv and linear kernels on the seed net's shapes (batch 100), in Node through Dawn
 * (src/engine/backends/webgpu/node.ts): median milliseconds per call and GFLOP/s. On a software
 * adapter the numbers say little; on a GPU machine run it with Dawn's Vulkan backend:
 *   [BNLAB_DAWN_BACKEND=vulkan] npx tsx scripts/bench/webgpu-ops.ts [--reps N]
 */
import { performance } from 'node:perf_hooks';
import { empty, kernel, setBackend, upload } from '../../src/engine/backend';
import { initNodeWebGpu } from '../../src/engine/backends/webgpu/node';
import * as ops from '../../src/engine/ops';
import { Rng } from '../../src/engine/rng';
import { sizeOf, type Shape, type Tensor } from '../../src/engine/tensor';

const i = process.argv.indexOf('--reps');
const reps = i > 0 ? Number(process.argv[i + 1]) : 10;

function random(shape: Shape, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: sizeOf(shape) }, () => rng.uniform(-1, 1));
}

const N = 100;
const SHAPES: Record<string, Shape> = { x: [N, 1, 28, 28], w: [32, 1, 5, 5], b: [32], dy: [N, 32, 28, 28], h: [N, 6272], w1: [128, 6272], b1: [128], dh: [N, 128] };

async function main(): Promise<void> {
  // Inputs are made before the device: Dawn's OpenGL ES backend has crashed here when the main thread was busy between GPU calls.
  const host = Object.entries(SHAPES).map(([name, shape], seed) => [name, shape, random(shape, seed)] as const);
  const ctx = await initNodeWebGpu();
  setBackend('webgpu');
  const t: Record<string, Tensor> = Object.fromEntries(host.map(([name, shape, values]) => [name, upload(shape, values)]));
  const { x, w, b, dy, h, w1, b1, dh } = t;
  const done = async () => {
    ctx.flush();
    await ctx.device.queue.onSubmittedWorkDone();
    ctx.check();
  };
  const attrs = ops.conv2dAttrs({ padding: 2 });
  const y = empty(dy.shape), dx = empty(x.shape), dw = empty(w.shape), db = empty([32]);
  const convFlops = 2 * N * 32 * 28 * 28 * 25;
  const y1 = empty([N, 128]), dx1 = empty(h.shape), dw1 = empty(w1.shape), db1 = empty([128]);
  const cases: [string, number, () => void][] = [
    ['Conv2D [100,1,28,28] * [32,1,5,5] pad 2', convFlops, () => kernel('Conv2D')(x, w, b, attrs, y)],
    ['Conv2DBackpropInput', convFlops, () => kernel('Conv2DBackpropInput')(dy, w, attrs, dx)],
    ['Conv2DBackpropFilter (+ db)', convFlops, () => kernel('Conv2DBackpropFilter')(dy, x, attrs, dw, db)],
    ['Linear [100,6272] -> 128', 2 * N * 6272 * 128, () => kernel('Linear')(h, w1, b1, y1)],
    ['LinearBackward (dx, dw, db)', 4 * N * 6272 * 128, () => kernel('LinearBackward')(dh, h, w1, dx1, dw1, db1)],
  ];
  console.log(`${ctx.describe()}, median of ${reps} calls`);
  for (const [name, flops, run] of cases) {
    run();
    await done();
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      run();
      await done();
      times.push(performance.now() - t0);
    }
    const ms = times.sort((a, c) => a - c)[Math.floor(reps / 2)];
    console.log(`  ${name.padEnd(42)} ${ms.toFixed(2).padStart(9)} ms  ${(flops / ms / 1e6).toFixed(1).padStart(8)} GFLOP/s`);
  }
  process.exit(0);
}

void main();
