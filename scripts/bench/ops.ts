/**
 * Micro-benchmark of the CPU ops at the seed net's shapes (batch 100):
 *   conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear(10), 1×28×28 input.
 * Run: npx tsx scripts/bench/ops.ts [--reps N] [--only TEXT] [--no-simd]   (--no-simd: plain-JS kernels only)
 * Prints per op the median and the minimum wall-clock ms over N runs, and the minimum CPU ms
 * (process.cpuUsage; the steadiest number on a busy machine, as it excludes waiting for a core).
 */
import { setSimdEnabled } from '../../src/engine/backends/cpu/simd';
import * as ops from '../../src/engine/ops';
import { Rng } from '../../src/engine/rng';
import { Tensor, type Shape } from '../../src/engine/tensor';

const repsArg = process.argv.indexOf('--reps');
const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 10;
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : '';
const simd = setSimdEnabled(!process.argv.includes('--no-simd'));
const rng = new Rng(1);
const randn = (shape: Shape, scale = 1) => {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * scale;
  return t;
};

const B = 100;
const x = randn([B, 1, 28, 28]);
const convW = randn([32, 1, 5, 5], 0.2), convB = randn([32]);
const convAttrs = ops.conv2dAttrs({ padding: 2 });
const g32 = randn([32]), b32 = randn([32]);
const poolAttrs = ops.pool2dAttrs({ kernel: 2 });
const fc1W = randn([128, 6272], 0.01), fc1B = randn([128]);
const g128 = randn([128]), b128 = randn([128]);
const fc2W = randn([10, 128], 0.1), fc2B = randn([10]);
const labels = new Int32Array(B).map((_, i) => i % 10);

// Forward once to get realistic inputs for every op; the benchmarks below reuse these buffers.
const conv = ops.conv2d(x, convW, convB, convAttrs);
const bn2 = ops.batchNormTrain(conv, g32, b32, 1e-5);
const r1 = ops.relu(bn2.y);
const pool = ops.maxPool2d(r1, poolAttrs);
const flat = ops.flatten(pool.y);
const fc1 = ops.linear(flat, fc1W, fc1B);
const bn1 = ops.batchNormTrain(fc1, g128, b128, 1e-5);
const r2 = ops.relu(bn1.y);
const fc2 = ops.linear(r2, fc2W, fc2B);
const ce = ops.softmaxCrossEntropy(fc2, labels);
const dlogits = ops.softmaxCrossEntropyGrad(ce.probs, labels);
const fc2g = ops.linearBackward(dlogits, r2, fc2W, true);
const dr2 = ops.reluGrad(fc2g.dx!, r2);
const bn1g = ops.batchNormBackward(dr2, bn1, g128, true);
const fc1g = ops.linearBackward(bn1g.dx, flat, fc1W, true);
const dpool = ops.maxPool2dGrad(fc1g.dx!.reshape(pool.y.shape), pool.argmax, r1.shape, poolAttrs);
const dr1 = ops.reluGrad(dpool, r1);
const bn2g = ops.batchNormBackward(dr1, bn2, g32, true);
const convg = ops.conv2dBackward(bn2g.dx, x, convW, convAttrs, false);

const cases: [string, () => unknown][] = [
  ['conv2d 1→32 5x5 pad 2', () => ops.conv2d(x, convW, convB, convAttrs, conv)],
  ['batchNormTrain 2d [100,32,28,28]', () => ops.batchNormTrain(conv, g32, b32, 1e-5, bn2)],
  ['relu [100,32,28,28]', () => ops.relu(bn2.y, r1)],
  ['maxPool2d 2', () => ops.maxPool2d(r1, poolAttrs, pool)],
  ['linear 6272→128', () => ops.linear(flat, fc1W, fc1B, fc1)],
  ['batchNormTrain 1d [100,128]', () => ops.batchNormTrain(fc1, g128, b128, 1e-5, bn1)],
  ['relu [100,128]', () => ops.relu(bn1.y, r2)],
  ['linear 128→10', () => ops.linear(r2, fc2W, fc2B, fc2)],
  ['softmaxCrossEntropy', () => ops.softmaxCrossEntropy(fc2, labels, ce)],
  ['softmaxCrossEntropyGrad', () => ops.softmaxCrossEntropyGrad(ce.probs, labels, dlogits)],
  ['linearBackward 128→10 (dx)', () => ops.linearBackward(dlogits, r2, fc2W, true, fc2g)],
  ['reluGrad [100,128]', () => ops.reluGrad(fc2g.dx!, r2, dr2)],
  ['batchNormBackward 1d', () => ops.batchNormBackward(dr2, bn1, g128, true, bn1g)],
  ['linearBackward 6272→128 (dx)', () => ops.linearBackward(bn1g.dx, flat, fc1W, true, fc1g)],
  ['maxPool2dGrad', () => ops.maxPool2dGrad(fc1g.dx!.reshape(pool.y.shape), pool.argmax, r1.shape, poolAttrs, dpool)],
  ['reluGrad [100,32,28,28]', () => ops.reluGrad(dpool, r1, dr1)],
  ['batchNormBackward 2d', () => ops.batchNormBackward(dr1, bn2, g32, true, bn2g)],
  ['conv2dBackward (no dx)', () => ops.conv2dBackward(bn2g.dx, x, convW, convAttrs, false, convg)],
  ['conv2dBackward dx only (not in seed step)', () => ops.conv2dBackward(bn2g.dx, x, convW, convAttrs, true, convg)],
];

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
let step = 0, stepMin = 0, stepCpu = 0;
console.log(`CPU ops at seed-net shapes, batch ${B}, ${reps} runs, ${simd ? 'WebAssembly SIMD' : 'plain JS'} (ms)\n   median      min  min cpu  op`);
for (const [name, run] of cases) {
  if (!name.includes(only)) continue;
  for (let i = 0; i < 3; i++) run();
  const times: number[] = [];
  let cpu = Infinity;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  const ms = median(times), min = Math.min(...times);
  if (!name.includes('not in seed step')) {
    step += ms;
    stepMin += min;
    stepCpu += cpu;
  }
  console.log(`${ms.toFixed(2).padStart(9)}${min.toFixed(2).padStart(9)}${cpu.toFixed(2).padStart(9)}  ${name}`);
}
const fmt = (v: number) => v.toFixed(2).padStart(9);
console.log(`${fmt(step)}${fmt(stepMin)}${fmt(stepCpu)}  sum: one training step of ops (forward + backward)`);
