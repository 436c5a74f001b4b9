/**
 * `npm run bench`: BN Lab's CPU engine against PyTorch 1.13 (Debian's python3-torch) as its users
 * run it: with the optimized BLAS the system provides and on every core. Both run in this one
 * bench, alternately (a block of back-to-back repetitions of ours, then one of each PyTorch's, as
 * training runs steps back to back; after warm-up), at the seed net's shapes; it prints medians
 * and the ratio of times ours/PyTorch (lower is better).
 * PyTorch runs twice over: with its default thread count and on all cores (on a busy 2-core machine
 * either can be the faster); each row compares against the faster of the two.
 * It refuses to print ratios when PyTorch runs on the reference (netlib) BLAS.
 * Usage: npm run bench [-- --reps N --block N --warmup N --settle MS --threads T --torch-threads T]
 *   --threads: BN Lab's CPU threads (default: available cores); --torch-threads: one PyTorch with T threads
 */
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Adam, Tensor, buildModel, crossEntropy } from '../../src/engine';
import { memoryBench } from './memory';
import { cpuThreads, setCpuThreads } from '../../src/engine/backends/cpu/threads';
import * as ops from '../../src/engine/ops';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const reps = flag('reps', 25);
/**
 * Repetitions before timing, for both: BN Lab's JIT and WebAssembly tiers and its heap (which grows
 * to its working size in the first steps, restarting the thread pool each time) settle in about 10
 * training steps; PyTorch's allocator warms up too.
 */
const WARMUP = flag('warmup', 10);
setCpuThreads(flag('threads', availableParallelism()));

/** Repetitions in a row of one engine (a round is a block of each; reps rounded up to blocks). */
const BLOCK = flag('block', 10);
/**
 * A pause before each block: OpenBLAS's threads spin for a while after a call, and would take a
 * core from whichever runs next (ours, or the other PyTorch).
 */
const SETTLE_MS = flag('settle', 100);
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
const x100 = random([100, 1, 28, 28], 1);
const x1000 = random([1000, 1, 28, 28], 6);
const labels = Int32Array.from({ length: 100 }, (_, i) => i % 10);

function bnFwdBwd(shape: number[]): () => void {
  const x = random(shape, 2), dy = random(shape, 3);
  const gamma = Tensor.filled([shape[1]], 1), beta = new Tensor([shape[1]]);
  // Outputs are passed back in, as the layers do, so this measures kernels, not allocation.
  let r: ReturnType<typeof ops.batchNormTrain> | undefined;
  let g: ReturnType<typeof ops.batchNormBackward> | undefined;
  return () => {
    r = ops.batchNormTrain(x, gamma, beta, 1e-5, r);
    g = ops.batchNormBackward(dy, r, gamma, true, g);
  };
}

const BN2D = [100, 32, 28, 28];
const BN2D_BYTES = 4 * BN2D.reduce((a, b) => a * b);
/** The memory copy: 64 MB each way, twice the last-level cache here (32 MB), so it runs at DRAM speed as BN does. */
const COPY_BYTES = 64 << 20;
const copySrc = random([COPY_BYTES / 4], 7).data, copyDst = new Float32Array(copySrc.length);
const convW = random([32, 1, 5, 5], 4), convB = random([32], 5);
let convY: Tensor | undefined;

const ours: Record<string, () => void> = {
  train_step: () => {
    model.train();
    const { dLogits } = crossEntropy(model.forward(x100), labels);
    model.backward(dLogits!);
    opt.step();
  },
  eval_100: () => {
    model.eval();
    model.forward(x100);
  },
  eval_1000: () => {
    model.eval();
    model.forward(x1000);
  },
  bn2d: bnFwdBwd(BN2D),
  bn1d: bnFwdBwd([100, 128]),
  conv_fwd: () => {
    convY = ops.conv2d(x100, convW, convB, { stride: [1, 1], padding: [2, 2], dilation: [1, 1], groups: 1 }, convY);
  },
  copy: () => copyDst.set(copySrc),
};

/** A PyTorch server (torch_ref.py, `threads` 0 = all cores): one request a line, one JSON answer a line. */
async function startTorch(threads: number) {
  const child = spawn('/usr/bin/python3', [path.join(__dirname, 'torch_ref.py'), String(threads)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the PyTorch process ended (is python3-torch installed for /usr/bin/python3?)');
    return JSON.parse(line.value);
  };
  const info = await next();
  return {
    info,
    ask: async (req: object) => {
      child.stdin.write(JSON.stringify(req) + '\n');
      return next();
    },
    close: () => child.stdin.end(),
  };
}
type Torch = Awaited<ReturnType<typeof startTorch>>;

/** PyTorch at its default thread count and on all cores (one process if they are the same), or --torch-threads. */
async function startTorches(): Promise<Torch[]> {
  const forced = flag('torch-threads', -1);
  const first = await startTorch(forced >= 0 ? forced : 0);
  if (forced >= 0 || first.info.default_threads === first.info.threads) return [first];
  return [first, await startTorch(first.info.default_threads)];
}

/** 'reference' for the netlib BLAS (Debian's libblas3), where a speed comparison means nothing. */
function blasKind(lib: string): string {
  if (/openblas/i.test(lib)) return 'OpenBLAS';
  if (/mkl/i.test(lib)) return 'MKL';
  if (/blis/i.test(lib)) return 'BLIS';
  return 'reference';
}

async function main() {
  // PyTorch as its users run it: with an optimized BLAS (installed here when missing, as the test setup does).
  const setup = spawnSync(process.execPath, [path.join(__dirname, '..', 'apt.mjs'), 'bench', 'python3-torch', 'libopenblas0-pthread'], { stdio: 'inherit' });
  if (setup.status !== 0) console.error('bench: the PyTorch reference may be missing or on the reference BLAS (see above)');
  const torches = await startTorches().catch((e: Error) => {
    console.error(`PyTorch reference unavailable: ${e.message}`);
    return [] as Torch[];
  });
  const timesOurs: Record<string, number[]> = {};
  const timesTorch: Record<string, number[]>[] = torches.map(() => ({}));
  for (const [name, run] of Object.entries(ours)) {
    timesOurs[name] = [];
    for (const t of timesTorch) t[name] = [];
    for (const torch of torches) await torch.ask({ case: name, reps: WARMUP });
    for (let i = 0; i < WARMUP; i++) run();
    for (let done = 0; done < reps; done += BLOCK) {
      await settle();
      for (let i = 0; i < BLOCK; i++) {
        const t0 = performance.now();
        run();
        timesOurs[name].push(performance.now() - t0);
      }
      for (const [j, torch] of torches.entries()) {
        await settle();
        timesTorch[j][name].push(...((await torch.ask({ case: name, reps: BLOCK })).ms as number[]));
      }
    }
  }
  const ends = await Promise.all(torches.map((t) => t.ask({ case: 'info' })));
  for (const t of torches) t.close();
  const a = (k: string) => median(timesOurs[k]);
  // Per row, the faster PyTorch configuration.
  const b = (k: string) => (torches.length ? Math.min(...timesTorch.map((t) => median(t[k]))) : NaN);
  const bWith = (k: string) => torches[timesTorch.findIndex((t) => median(t[k]) === b(k))]?.info.threads;
  const blas = torches.length ? blasKind(torches[0].info.blas) : 'n/a';
  const comparable = torches.length > 0 && blas !== 'reference';

  const timed = Math.ceil(reps / BLOCK) * BLOCK;
  console.log(`seed ConvNet; medians of ${timed} repetitions each after ${WARMUP} warm-up, in alternating blocks of ${BLOCK}, in one run`);
  console.log(`BN Lab: CPU backend, ${cpuThreads()} thread(s) (of ${availableParallelism()} cores available)`);
  for (const [j, t] of torches.entries()) {
    console.log(`PyTorch ${t.info.torch}: ${t.info.threads} thread(s) (torch's default here: ${t.info.default_threads}), ` +
      `BLAS: ${blasKind(t.info.blas)} (${t.info.blas}); train step median ${median(timesTorch[j].train_step).toFixed(2)} ms`);
  }
  if (torches.length && !comparable) {
    console.log('PyTorch runs on the reference (netlib) BLAS: no ratios printed. Install an optimized BLAS: apt-get install libopenblas0-pthread');
  }
  // One row: label, case, unit; images/s rows divide the batch by the time. Ratios are of times.
  const rows: [string, string, string][] = [
    ['train step', 'train_step', 'ms'], ['eval batch 100', 'eval_100', 'img/s'], ['eval batch 1000', 'eval_1000', 'img/s'],
    ['BN2d fwd+bwd', 'bn2d', 'ms'], ['BN1d fwd+bwd', 'bn1d', 'ms'], ['conv fwd', 'conv_fwd', 'ms'], ['memory copy 64 MB', 'copy', 'ms'],
  ];
  console.log('metric'.padEnd(20) + 'BN Lab'.padStart(11) + 'PyTorch'.padStart(11) + '  unit ' + 'time ratio'.padStart(11) + '  PyTorch threads');
  for (const [label, key, unit] of rows) {
    const value = (ms: number) => (unit === 'ms' ? ms : (1000 * Number(key.split('_')[1])) / ms);
    const fmt = (ms: number) => (Number.isNaN(ms) ? 'n/a' : value(ms).toFixed(unit === 'ms' ? 2 : 0)).padStart(11);
    console.log(label.padEnd(20) + fmt(a(key)) + fmt(b(key)) + `  ${unit.padEnd(5)}` +
      (comparable ? (a(key) / b(key)).toFixed(2) : 'n/a').padStart(11) + `  ${bWith(key) ?? ''}`);
  }
  // Bandwidth: the bytes a BN pass must move at least (each tensor read or written once) over its
  // time, as a fraction of what the memory copy achieves (read + write) in the same process.
  // BN Lab keeps xhat: x in, xhat and y out, then dy and xhat in, dx out (6 tensors). PyTorch
  // recomputes from x: x in, y out, then x and dy in, dx out (5 tensors).
  const gbs = (bytes: number, ms: number) => bytes / ms / 1e6;
  const share = (t: (k: string) => number) => (((t('bn2d') + t('bn1d')) / t('train_step')) * 100).toFixed(0);
  const bandwidth = (who: string, tensors: number, t: (k: string) => number) => {
    const bn = gbs(tensors * BN2D_BYTES, t('bn2d')), copy = gbs(2 * COPY_BYTES, t('copy'));
    return `${who} ${bn.toFixed(1)} GB/s = ${((bn / copy) * 100).toFixed(0)}% of its memory copy (${copy.toFixed(1)} GB/s)`;
  };
  console.log(`BN2d fwd+bwd bandwidth: ${bandwidth('BN Lab', 6, a)}` + (torches.length ? `; ${bandwidth('PyTorch', 5, b)}` : ''));
  console.log(`BN share of the train step (BN2d + BN1d fwd+bwd at its shapes / step): BN Lab ${share(a)}%` + (torches.length ? `, PyTorch ${share(b)}%` : ''));
  console.log(`train steps/s: BN Lab ${(1000 / a('train_step')).toFixed(2)}` + (torches.length ? `, PyTorch ${(1000 / b('train_step')).toFixed(2)}` : ''));
  console.log(`peak RSS: BN Lab ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB` +
    ends.map((e, j) => `, PyTorch (${torches[j].info.threads} threads) ${(e.max_rss_kb / 1024).toFixed(0)} MB`).join(''));
  memoryBench();
}

main().then(() => process.exit(0), (e: Error) => {
  console.error(`bench failed: ${e.message}`);
  process.exit(1);
});
