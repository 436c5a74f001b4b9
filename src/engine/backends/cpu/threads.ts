/**
 * The CPU thread pool: worker threads (Node's worker_threads, or Web Workers in a browser) that run
 * the SIMD kernels on the shared heap (heap.ts), each with its own instance of the module.
 *
 * parallel(kernel, ...) splits one kernel call into chunks of a fixed size (chosen by the caller
 * from the problem, never from the thread count). Threads, the calling one included, claim chunks
 * one at a time from a shared counter until none are left, and the caller returns when every chunk
 * is done. Each chunk writes its own part of the output, computed by the same code whichever thread
 * runs it, so results are identical at any thread count; a reduction over chunks writes per-chunk
 * partials that the caller merges in chunk order. A thread that is slow to wake (a busy machine)
 * only takes fewer chunks. With one thread, or without SharedArrayBuffer, the caller runs every
 * chunk itself, through the same code.
 */
import { getHeap, onSharedGrow } from './heap';
import { simdKernels, simdModule } from './simd';

/** Kernel exports a job may run, by index (the workers see the index only). */
const KERNELS = ['gemm', 'planeStats', 'planeGradSums', 'planeAffine', 'relu', 'reluGrad', 'adam', 'im2col', 'transpose', 'maxPool2x2', 'maxPool2x2Grad', 'gemmNT', 'convForward'] as const;
export type ParallelKernel = (typeof KERNELS)[number];
const MAX_ARGS = 16;

// Control words (Int32Array over a SharedArrayBuffer).
const GEN = 0, NEXT = 1, DONE = 2, FN = 3, CHUNKS = 4, SIZE = 5, TOTAL = 6, COUNT_ARG = 7, NARGS = 8, ARGS = 9, STRIDES = ARGS + MAX_ARGS;
/** Workers that are ready, and chunks that workers (not the caller) have run. */
const READY = STRIDES + MAX_ARGS, WORKER_CHUNKS = READY + 1;
const CONTROL_WORDS = WORKER_CHUNKS + 1;

/**
 * Claims and runs chunks of the current job until none are left. Runs on every thread, so it
 * refers to nothing outside itself (workers get its source). NEXT holds the job's tag (its
 * generation, high 15 bits) and the next chunk (low 16 bits); a compare-exchange claims a chunk
 * only while the job it read is still the current one; the caller closes NEXT (new tag, no chunk
 * left) before it writes the next job's words. Control words are numbered literally here
 * (GEN 0, NEXT 1, DONE 2, FN 3, CHUNKS 4, SIZE 5, TOTAL 6, COUNT_ARG 7, NARGS 8, ARGS 9, STRIDES 25,
 * READY 41, WORKER_CHUNKS 42).
 */
function runChunks(k: Record<string, (...a: number[]) => void>, names: readonly string[], ctl: Int32Array, args: number[], worker: boolean): void {
  const tag = (Atomics.load(ctl, 0) & 0x7fff) << 16;
  for (;;) {
    const v = Atomics.load(ctl, 1);
    if ((v & ~0xffff) !== tag) return;
    const chunk = v & 0xffff, chunks = ctl[4];
    if (chunk >= chunks) return;
    const fn = k[names[ctl[3]]], size = ctl[5], total = ctl[6], countArg = ctl[7], nargs = ctl[8];
    for (let i = 0; i < nargs; i++) args[i] = ctl[9 + i];
    if (Atomics.compareExchange(ctl, 1, v, v + 1) !== v) continue;
    const start = chunk * size;
    for (let i = 0; i < nargs; i++) args[i] += start * ctl[25 + i];
    if (countArg >= 0) args[countArg] = Math.min(size, total - start);
    args.length = nargs;
    fn.apply(null, args);
    if (worker) Atomics.add(ctl, 42, 1);
    if (Atomics.add(ctl, 2, 1) + 1 === chunks) Atomics.notify(ctl, 2);
  }
}

/** A worker's life: wait for a new job, help with it, repeat (source shipped to the worker). */
function workerLoop(
  init: { module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; names: string[]; spin: number },
  run: typeof runChunks,
): void {
  const k = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports as unknown as Record<string, (...a: number[]) => void>;
  const ctl = new Int32Array(init.control);
  const args: number[] = [];
  let seen = Atomics.load(ctl, 0);
  Atomics.add(ctl, 41, 1);
  for (;;) {
    // The next job usually comes within microseconds: look for it a while before sleeping (a
    // sleeping thread can take long to wake, in a VM especially).
    for (let i = 0; i < init.spin && Atomics.load(ctl, 0) === seen; i++);
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (seen < 0) return;
    run(k, init.names, ctl, args, true);
  }
}

interface Pool {
  control: Int32Array;
  stop: () => void;
}

let threads = defaultThreads();
let pool: Pool | null = null;
const mainArgs: number[] = [];
let solo: Int32Array | null = null;

// A worker that runs wasm right after another thread grew the shared memory may still see the old
// size (V8 updates other threads' instances asynchronously). The rare out-of-bounds traps once put
// down to this came from the job race that parallel() now closes; the restart stays as a guard.
// Growth is rare (the heap doubles) and happens between jobs: new workers instantiate over the
// memory at its new size, and until they are up the calling thread runs every chunk itself.
onSharedGrow(() => {
  pool?.stop();
  pool = null;
});

/** Polls of the job word before a worker sleeps (about 0.1 ms), when the threads fit on the cores. */
const SPIN = 20_000;

function cores(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    return (require('node:os') as typeof import('node:os')).availableParallelism();
  } catch {
    return 1;
  }
}

function defaultThreads(): number {
  const env = typeof process !== 'undefined' ? Number(process.env.BNLAB_THREADS) : NaN;
  return Number.isInteger(env) && env > 0 ? env : cores();
}

/** Threads the CPU kernels use (the caller included). */
export function cpuThreads(): number {
  return threads;
}

/** Sets the thread count (≥ 1; default: the available cores, or BNLAB_THREADS); restarts the pool. */
export function setCpuThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`CPU threads must be a whole number ≥ 1, got ${n}`);
  threads = n;
  pool?.stop();
  pool = null;
}

/**
 * Starts the pool now and resolves once every worker is ready (else the first kernels run before
 * the workers have started, on the calling thread alone). Resolves at once without a pool.
 */
export async function threadsReady(): Promise<void> {
  pool ??= startPool();
  while (pool && Atomics.load(pool.control, READY) < threads - 1) await new Promise((r) => setTimeout(r, 5));
}

/** Chunks that worker threads (not the calling thread) have run so far in this pool. */
export function workerChunks(): number {
  return pool ? Atomics.load(pool.control, WORKER_CHUNKS) : 0;
}

type Spawn = (source: string, init: object) => { terminate(): unknown };

/** Starts a worker from source text: worker_threads in Node, a Web Worker elsewhere. */
function spawner(): Spawn | null {
  if (typeof process !== 'undefined' && process.versions?.node) {
    if (typeof require !== 'function') return null; // an ES module without require: no pool
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    return (source, init) => {
      const w = new Worker(`(${source})(require('node:worker_threads').workerData)`, { eval: true, workerData: init });
      w.unref(); // an idle pool never keeps the process alive
      return w;
    };
  }
  const WebWorker = (globalThis as { Worker?: new (url: string) => { postMessage(m: object): void; terminate(): void } }).Worker;
  if (!WebWorker) return null;
  return (source, init) => {
    const w = new WebWorker(URL.createObjectURL(new Blob([`onmessage = (e) => (${source})(e.data)`], { type: 'text/javascript' })));
    w.postMessage(init);
    return w;
  };
}

function startPool(): Pool | null {
  const heap = getHeap(), module = simdModule(), spawn = spawner();
  if (threads < 2 || !heap?.shared || !module || !spawn) return null;
  const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
  // The worker's source: its loop, given runChunks (neither refers to anything else, so minified names do not matter).
  const source = `(init) => (${workerLoop.toString()})(init, ${runChunks.toString()})`;
  const workers = Array.from({ length: threads - 1 }, () =>
    spawn(source, { module, memory: heap.memory, control: control.buffer, names: [...KERNELS], spin: threads <= cores() ? SPIN : 0 }));
  return {
    control,
    stop: () => {
      Atomics.store(control, GEN, -1);
      Atomics.notify(control, GEN);
      for (const w of workers) void w.terminate();
    },
  };
}

/**
 * Runs SIMD kernel `name` over `total` units in chunks of `size`: chunk c gets args[i] +
 * c·size·strides[i], and args[countArg] = its unit count (countArg −1: no count argument).
 * Returns false (having done nothing) without the SIMD kernels.
 */
export function parallel(name: ParallelKernel, total: number, size: number, countArg: number, args: number[], strides: number[]): boolean {
  const k = simdKernels();
  if (!k) return false;
  const chunks = Math.ceil(total / size);
  if (chunks === 0) return true;
  if (chunks > 0xffff) throw new Error(`parallel ${name}: ${chunks} chunks (at most 65535)`);
  if (threads > 1 && chunks > 1 && !pool) pool = startPool();
  const ctl = pool && chunks > 1 ? pool.control : (solo ??= new Int32Array(CONTROL_WORDS));
  const gen = (Atomics.load(ctl, GEN) + 1) & 0x7fff;
  // Close first: a thread still in the last job's loop (it read NEXT, then was descheduled) must
  // not claim a chunk while this job's words are half written (it ran the wrong kernel or
  // arguments, and counted a chunk into this job's DONE). With the new tag and no chunk left, its
  // compare-exchange fails, and it sees a new tag and returns.
  Atomics.store(ctl, NEXT, (gen << 16) | 0xffff);
  ctl[FN] = KERNELS.indexOf(name);
  ctl[CHUNKS] = chunks;
  ctl[SIZE] = size;
  ctl[TOTAL] = total;
  ctl[COUNT_ARG] = countArg;
  ctl[NARGS] = args.length;
  for (let i = 0; i < args.length; i++) {
    ctl[ARGS + i] = args[i];
    ctl[STRIDES + i] = strides[i] ?? 0;
  }
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, NEXT, gen << 16);
  Atomics.store(ctl, GEN, gen);
  if (ctl !== solo) Atomics.notify(ctl, GEN);
  runChunks(k as unknown as Record<string, (...a: number[]) => void>, KERNELS, ctl, mainArgs, false);
  for (let done = Atomics.load(ctl, DONE); done < chunks; done = Atomics.load(ctl, DONE)) Atomics.wait(ctl, DONE, done);
  return true;
}
