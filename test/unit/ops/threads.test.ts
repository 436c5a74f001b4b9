import assert from 'node:assert/strict';
import { cpuThreads, parallel, setCpuThreads, threadsReady, workerChunks } from '../../../src/engine/backends/cpu/threads';
import { execFileSync } from 'node:child_process';
import { allocF32, getHeap, heapOffset } from '../../../src/engine/backends/cpu/heap';
import { join } from 'node:path';
import { seedStep } from './seed-step';

/**
 * seedStep on a pool that stays up through it: run again (up to 4 times) while a step grew the heap,
 * which restarts the pool (after other tests' allocations a step can still need more heap).
 */
async function steadyStep(): Promise<Int32Array[]> {
  const size = () => getHeap()!.memory.buffer.byteLength;
  let out: Int32Array[] = [];
  for (let tries = 0, before = -1; tries < 4 && before !== size(); tries++) {
    await threadsReady();
    before = size();
    out = seedStep();
  }
  return out;
}

describe('cpu threads', () => {
  const before = cpuThreads();
  after(() => setCpuThreads(before));

  it('a seed-net step gives bit-identical results on 1 and 3 threads, and the workers take part', async () => {
    setCpuThreads(1);
    const one = seedStep();
    setCpuThreads(3);
    const three = await steadyStep();
    assert.ok(workerChunks() > 0, 'the worker threads ran no chunk');
    assert.equal(three.length, one.length);
    one.forEach((a, i) => assert.deepEqual(three[i], a, `output ${i} differs between 1 and 3 threads`));
  });

  it('the same bits with a private heap (no SharedArrayBuffer, no threads: a browser without cross-origin isolation)', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, 'seed-step.ts')], {
      env: { ...process.env, BNLAB_SHARED_HEAP: '0' }, encoding: 'utf8', maxBuffer: 64 << 20,
    });
    const privateHeap: number[][] = JSON.parse(out);
    const here = seedStep();
    assert.equal(privateHeap.length, here.length);
    here.forEach((a, i) => assert.deepEqual(Int32Array.from(privateHeap[i]), a, `output ${i} differs with a private heap`));
  });

  it('after the shared heap grows, the pool restarts and its workers take part again with the same bits', async () => {
    setCpuThreads(3);
    await threadsReady();
    const before = seedStep();
    const heapBytes = getHeap()!.memory.buffer.byteLength;
    const big = allocF32(heapBytes / 4); // more than the heap holds: it grows
    assert.ok(getHeap()!.memory.buffer.byteLength > heapBytes && heapOffset(big) >= 0, 'the heap did not grow');
    assert.equal(workerChunks(), 0, 'the pool was not restarted after the heap grew');
    const after = await steadyStep();
    assert.ok(workerChunks() > 0, 'the restarted workers ran no chunk');
    before.forEach((a, i) => assert.deepEqual(after[i], a, `output ${i} differs after the heap grew`));
  });

  it('a thread descheduled at the end of one job never runs a chunk of the next (many small jobs, each followed by a larger one)', async function () {
    // Before the caller closed a job before writing the next, a worker that had read "no chunk
    // left" of a 2-chunk job could claim chunk 2 of it once the next job's chunk count was written,
    // and ran it with half-written arguments: here about 1 pair in 16,000 at 4 threads on 2 cores.
    this.timeout(30_000);
    setCpuThreads(4);
    await threadsReady();
    const small = allocF32(1 << 12), smallOut = allocF32(1 << 12), large = allocF32(1 << 14), largeOut = allocF32(1 << 14);
    small.fill(-2);
    large.forEach((_, i) => (large[i] = (i % 7) - 3));
    let pairs = 0, strays = 0;
    for (const until = Date.now() + 6000; Date.now() < until; pairs++) {
      parallel('relu', 2, 1, 2, [heapOffset(small), heapOffset(smallOut), 0], [4, 4, 0]);
      parallel('relu', 1 << 14, 64, 2, [heapOffset(large), heapOffset(largeOut), 0], [4, 4, 0]);
      if (pairs % 256 === 0 || Date.now() >= until) {
        if (smallOut.some((v, i) => i >= 2 && v !== 0)) strays++, smallOut.fill(0);
        if (largeOut.some((v, i) => v !== Math.max(0, large[i]))) strays++;
      }
    }
    console.log(`      ${pairs} pairs of jobs at 4 threads: ${strays} with a stray chunk`);
    assert.ok(workerChunks() > 0, 'the worker threads ran no chunk');
    assert.equal(strays, 0);
  });

  it('rejects a thread count that is not a whole number ≥ 1', () => {
    assert.throws(() => setCpuThreads(0), /whole number ≥ 1, got 0/);
    assert.throws(() => setCpuThreads(1.5), /got 1.5/);
  });
});
