/**
 * Where a training step's time goes: the seed net at batch 100, each layer's forward and backward
 * and the optimizer step timed separately (wall ms: median and minimum over N steps).
 * Run: npx tsx scripts/bench/step-profile.ts [--reps N] [--threads T]
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Adam, Tensor, buildModel, crossEntropy } from '../../src/engine';
import { setCpuThreads, threadsReady } from '../../src/engine/backends/cpu/threads';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const reps = arg('reps', 30);
setCpuThreads(arg('threads', availableParallelism()));

const model = buildModel('seed', { sampleShape: [1, 28, 28], numClasses: 10, seed: 0 });
const opt = new Adam(model.params().map((p) => p.param), { lr: 1e-3 });
const x = new Tensor([100, 1, 28, 28]);
for (let i = 0; i < x.size; i++) x.data[i] = ((i * 2654435761) >>> 0) / 4294967296;
const labels = Int32Array.from({ length: 100 }, (_, i) => i % 10);
const times = new Map<string, number[]>();
const time = <T>(name: string, f: () => T): T => {
  const t0 = performance.now();
  const r = f();
  (times.get(name) ?? times.set(name, []).get(name)!).push(performance.now() - t0);
  return r;
};

async function main() {
  await threadsReady();
  model.train();
  for (let rep = 0; rep < reps + 3; rep++) {
    if (rep === 3) times.clear();
    const t0 = performance.now();
    let h = x;
    const ctx = { training: true, rng: model.rng };
    for (const i of model.order) h = time(`${String(i).padStart(2)} ${model.layers[i].kind} forward`, () => model.layers[i].forward(h, ctx));
    const { dLogits } = time('   loss', () => crossEntropy(h, labels));
    let g: Tensor | null = dLogits!;
    for (let k = model.order.length - 1; k >= 0 && g; k--) {
      const i = model.order[k];
      g = time(`${String(i).padStart(2)} ${model.layers[i].kind} backward`, () => model.layers[i].backward(g!, k > 0));
    }
    time('   adam', () => opt.step());
    (times.get('   step') ?? times.set('   step', []).get('   step')!).push(performance.now() - t0);
  }
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  console.log('  median       min');
  for (const [name, t] of times) console.log(`${median(t).toFixed(2).padStart(8)}  ${Math.min(...t).toFixed(2).padStart(8)}  ${name}`);
}
void main();
