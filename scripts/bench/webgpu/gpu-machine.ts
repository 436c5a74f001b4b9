/**
 * What a GPU machine without a browser runs (bundled by gpu-machine-pack.sh, started by
 * gpu-machine-run.sh): every parity case of the gpu tier on the real adapter, worst error per
 * kernel, then the bench:webgpu comparison (BN Lab WebGPU vs tfjs-backend-webgpu vs BN Lab CPU).
 *   node gpu-bench.js [--steps N --warmup N]   (in the repository root: reads test/fixtures/golden)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initNodeWebGpu } from '../../../src/engine/backends/webgpu/node';
import '../../../src/engine/ops';
import { allCases } from '../../../test/gpu/cases';
import { setFixtureLoader } from '../../../test/gpu/parity';
import { benchOnDawn, cpuStepMs, printBench } from './node-path';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback);
const steps = flag('steps', 20), warmup = flag('warmup', 5);

async function main() {
  setFixtureLoader(async (file) => new Uint8Array(await readFile(join('test', 'fixtures', 'golden', file))));
  const ctx = await initNodeWebGpu();
  console.log(`parity on ${ctx.describe()}`);
  const worst = new Map<string, number>();
  let failed = 0;
  for (const c of allCases) {
    const t0 = performance.now();
    const r = await c.run();
    if (!r.ok) failed++;
    console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${c.name}  worst ${r.worst.toExponential(2)} (${Math.round(performance.now() - t0)} ms)${r.ok ? '' : ` ${r.detail ?? ''}`}`);
    for (const k of c.kernels) worst.set(k, Math.max(worst.get(k) ?? 0, r.worst));
  }
  console.log('worst relative error per kernel:');
  for (const [k, w] of [...worst].sort()) console.log(`  ${k.padEnd(26)} ${w.toExponential(2)}`);
  console.log(`parity: ${allCases.length - failed} passed, ${failed} failed`);
  printBench('in Node on Dawn', steps, warmup, await benchOnDawn(steps, warmup), cpuStepMs(steps, warmup));
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`gpu-machine: ${e instanceof Error ? e.stack : e}`);
  process.exit(1);
});
