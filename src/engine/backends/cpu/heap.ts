/**
 * The CPU backend's memory: one WebAssembly memory that the SIMD kernels (simd.ts) and the worker
 * threads (threads.ts) all work in, and an allocator over it.
 *
 * Where SharedArrayBuffer exists (Node; browsers with cross-origin isolation) the memory is shared
 * and CPU tensors live in it (allocF32), so kernels read and write them in place, on every thread.
 * A shared memory grows in place and never detaches, so tensors' views stay valid. Elsewhere the
 * memory is private and holds only kernels' scratch; to grow it is replaced by a larger copy (a
 * private memory's grow() would detach its buffer, and after any detach V8 guards every typed-array
 * access in the process, ~1.6x slower JS loops), and tensors stay in ordinary arrays.
 *
 * Blocks are 64-byte aligned; sizes are rounded up (powers of two to 1 MiB, then whole MiB) and freed
 * blocks are reused by size. A tensor's block is freed when its array is garbage-collected.
 */
const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit
const BIG = 1 << 20;

export interface Heap {
  memory: WebAssembly.Memory;
  shared: boolean;
  /** Views over the whole memory; replaced when it grows (see views()). */
  f32: Float32Array;
  f64: Float64Array;
  /** Bumped whenever `memory` is replaced by a larger copy (private memory only). */
  generation: number;
}

let heap: Heap | null | undefined;
let top = 0;
const freeBlocks = new Map<number, number[]>();
/** Every buffer the shared memory has had (each grow gives a new SharedArrayBuffer object). */
const sharedBuffers = new WeakSet<ArrayBufferLike>();
/** Called after the shared memory grew (the thread pool restarts its workers, see threads.ts). */
const growListeners: Array<() => void> = [];
const collected = new FinalizationRegistry<[number, number]>(([at, bytes]) => release(at, bytes));

function create(): Heap | null {
  try {
    // BNLAB_SHARED_HEAP=0 (tests): the private memory a browser without cross-origin isolation gets
    if (typeof process !== 'undefined' && process.env.BNLAB_SHARED_HEAP === '0') throw new Error('no shared heap');
    // Chromium makes shared WebAssembly memory without cross-origin isolation too, but then hides
    // SharedArrayBuffer, which the thread pool and the allocator's checks need.
    if (typeof SharedArrayBuffer === 'undefined') throw new Error('no SharedArrayBuffer');
    const memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES, shared: true });
    sharedBuffers.add(memory.buffer);
    return { memory, shared: true, f32: new Float32Array(memory.buffer), f64: new Float64Array(memory.buffer), generation: 0 };
  } catch {
    try {
      const memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES });
      return { memory, shared: false, f32: new Float32Array(memory.buffer), f64: new Float64Array(memory.buffer), generation: 0 };
    } catch {
      return null; // no WebAssembly
    }
  }
}

/** The memory, or null without WebAssembly. */
export function getHeap(): Heap | null {
  if (heap === undefined) heap = create();
  return heap;
}

/** The heap with its views brought up to date (after another thread or call grew it). */
export function views(): Heap | null {
  const h = getHeap();
  if (h && h.f32.buffer !== h.memory.buffer) {
    h.f32 = new Float32Array(h.memory.buffer);
    h.f64 = new Float64Array(h.memory.buffer);
  }
  return h;
}

function roundUp(bytes: number): number {
  if (bytes > BIG) return Math.ceil(bytes / BIG) * BIG;
  return Math.max(64, 2 ** Math.ceil(Math.log2(bytes)));
}

/** Makes the memory at least `bytes` long; false if it cannot be. */
function ensure(h: Heap, bytes: number): boolean {
  const have = h.memory.buffer.byteLength;
  if (bytes <= have) return true;
  const pages = Math.min(MAX_PAGES, Math.max(Math.ceil(bytes / PAGE), (2 * have) / PAGE));
  if (pages * PAGE < bytes) return false;
  try {
    if (h.shared) {
      h.memory.grow(pages - have / PAGE);
      sharedBuffers.add(h.memory.buffer);
      for (const listener of growListeners) listener();
    } else {
      const bigger = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
      new Uint8Array(bigger.buffer).set(new Uint8Array(h.memory.buffer));
      h.memory = bigger;
      h.generation++;
    }
  } catch {
    return false;
  }
  views();
  return true;
}

/** Runs `listener` whenever the shared memory grows (between kernel calls, on the allocating thread). */
export function onSharedGrow(listener: () => void): void {
  growListeners.push(listener);
}

/** A block of at least `bytes`: its byte offset, or -1 if the memory cannot hold it. */
export function allocate(bytes: number): number {
  const h = getHeap();
  if (!h) return -1;
  const size = roundUp(bytes);
  const reused = freeBlocks.get(size)?.pop();
  if (reused !== undefined) return reused;
  if (!ensure(h, top + size)) return -1;
  const at = top;
  top += size;
  return at;
}

/** Returns a block from allocate(); its contents are zeroed for the next owner. */
export function release(at: number, bytes: number): void {
  const size = roundUp(bytes);
  const h = views()!;
  new Uint8Array(h.memory.buffer, at, size).fill(0);
  let list = freeBlocks.get(size);
  if (!list) freeBlocks.set(size, (list = []));
  list.push(at);
}

/**
 * A zeroed Float32Array for a CPU tensor: inside the shared memory where there is one (so kernels
 * and threads use it in place), else an ordinary array.
 */
export function allocF32(n: number): Float32Array {
  return allocView(Float32Array, n);
}

/** allocF32 for int32 values (argmax indices, labels). */
export function allocI32(n: number): Int32Array {
  return allocView(Int32Array, n);
}

function allocView<T extends Float32Array | Int32Array>(type: { new (n: number): T; new (b: ArrayBufferLike, at: number, n: number): T }, n: number): T {
  const h = getHeap();
  if (!h?.shared || n === 0) return new type(n);
  const at = allocate(4 * n);
  if (at < 0) return new type(n);
  const view = new type(h.memory.buffer, at, n);
  collected.register(view, [at, 4 * n]);
  return view;
}

/** Byte offset of `a` in the shared memory, or -1 where it lives elsewhere. */
export function heapOffset(a: Float32Array | Int32Array): number {
  return sharedBuffers.has(a.buffer) ? a.byteOffset : -1;
}

const scratchBlocks = new Map<string, [number, number]>();

/**
 * A grow-only block of at least `bytes` for one caller's workspace (`slot`): its byte offset, or -1.
 * Valid until the next call for the same slot.
 */
export function scratchAt(slot: string, bytes: number): number {
  const have = scratchBlocks.get(slot);
  if (have && have[1] >= bytes) return have[0];
  if (have) release(have[0], have[1]);
  const at = allocate(bytes);
  if (at < 0) {
    scratchBlocks.delete(slot);
    return -1;
  }
  scratchBlocks.set(slot, [at, roundUp(bytes)]);
  return at;
}
