/**
 * `npm run bench`: BN Lab's CPU engine against PyTorch 1.13 (Debian's python3-torch, same machine,
 * same shapes, same run). Prints medians and the ratio ours/PyTorch (lower is better).
 * Usage: npm run bench [-- --steps N --threads T]
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Adam, Tensor, buildModel, crossEntropy } from '../../src/engine';
import { memoryBench } from './memory';
import * as ops from '../../src/engine/ops';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const steps = flag('steps', 20);
const threads = flag('threads', 2);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed(fn: () => void, n: number): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function random(shape: number[], seed: number): Tensor {
  const t = new Tensor(shape);
  let s = seed;
  for (let i = 0; i < t.size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    t.data[i] = s / 4294967296;
  }
  return t;
}

const model = buildModel('seed', { sampleShape: [1, 28, 28], numClasses: 10, seed: 0 });
const opt = new Adam(model.params().map((p) => p.param), { lr: 1e-3 });
const x = random([100, 1, 28, 28], 1);
const labels = Int32Array.from({ length: 100 }, (_, i) => i % 10);

const ours = {
  train_step_ms: timed(() => {
    model.train();
    const logits = model.forward(x);
    const { dLogits } = crossEntropy(logits, labels);
    model.backward(dLogits!);
    opt.step();
  }, steps),
  eval_batch_ms: timed(() => {
    model.eval();
    model.forward(x);
  }, steps),
  bn2d_fwd_bwd_ms: (() => {
    const bx = random([100, 32, 28, 28], 2);
    const dy = random([100, 32, 28, 28], 3);
    const gamma = Tensor.filled([32], 1);
    const beta = new Tensor([32]);
    // Outputs are passed back in, as the layers do, so this measures kernels, not allocation.
    let r: ReturnType<typeof ops.batchNormTrain> | undefined;
    let g: ReturnType<typeof ops.batchNormBackward> | undefined;
    return timed(() => {
      r = ops.batchNormTrain(bx, gamma, beta, 1e-5, r);
      g = ops.batchNormBackward(dy, r, gamma, true, g);
    }, steps);
  })(),
  conv_fwd_ms: (() => {
    const w = random([32, 1, 5, 5], 4);
    const b = random([32], 5);
    let y: Tensor | undefined;
    return timed(() => {
      y = ops.conv2d(x, w, b, { stride: [1, 1], padding: [2, 2], dilation: [1, 1], groups: 1 }, y);
    }, steps);
  })(),
};

let torch: Record<string, number> | null = null;
try {
  const out = execFileSync('/usr/bin/python3', [path.join(__dirname, 'torch_ref.py'), String(threads), String(steps)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  torch = JSON.parse(out.trim().split('\n').pop()!);
} catch (e) {
  console.error(`PyTorch reference unavailable (/usr/bin/python3 with python3-torch): ${(e as Error).message.split('\n')[0]}`);
}

console.log(`seed ConvNet, batch 100, median of ${steps}; PyTorch ${torch?.torch ?? 'n/a'} on ${threads} threads, BN Lab CPU on 1 thread`);
console.log('metric'.padEnd(18) + 'BN Lab ms'.padStart(12) + 'PyTorch ms'.padStart(12) + 'ratio'.padStart(9));
for (const [key, value] of Object.entries(ours)) {
  const ref = torch ? Number(torch[key]) : NaN;
  const ratio = torch ? (value / ref).toFixed(2) : 'n/a';
  console.log(key.padEnd(18) + value.toFixed(1).padStart(12) + (torch ? ref.toFixed(1) : 'n/a').padStart(12) + String(ratio).padStart(9));
}
console.log(`train steps/s: BN Lab ${(1000 / ours.train_step_ms).toFixed(2)}` + (torch ? `, PyTorch ${(1000 / torch.train_step_ms).toFixed(2)}` : ''));
memoryBench();
