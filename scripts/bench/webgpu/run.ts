/**
 * `npm run bench:webgpu`: the seed net at batch 100 (Adam, BN) — BN Lab WebGPU vs TensorFlow.js's
 * WebGPU backend in the same headless chromium (--enable-unsafe-webgpu), and BN Lab CPU in Node,
 * side by side with ratios; BN2d forward+backward time and its bandwidth; the adapter named.
 * On a software adapter (SwiftShader) only correctness means anything; speed needs a real GPU.
 *   npm run bench:webgpu [-- --steps N --warmup N]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { Adam, Tensor, buildModel, crossEntropy } from '../../../src/engine';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const steps = flag('steps', 10), warmup = flag('warmup', 2);
const here = __dirname, root = join(here, '..', '..', '..');

type BenchPage = (steps: number, warmup: number) => Promise<{ adapter: string; bnlab: { stepMs: number; bnMs: number; bnGBs: number }; tfjs: { stepMs: number } | { error: string } }>;

async function main() {
  if (!existsSync(join(here, 'node_modules', '@tensorflow', 'tfjs-backend-webgpu'))) {
    console.log('bench:webgpu: installing the TensorFlow.js reference (scripts/bench/webgpu)');
    execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
  }
  const bundle = join(root, 'dist-test', 'bench-webgpu.js');
  await esbuild.build({ entryPoints: [join(here, 'page.ts')], outfile: bundle, bundle: true, platform: 'browser', format: 'iife', target: 'es2022', external: ['node:worker_threads', 'node:os'], logLevel: 'error' });
  const server = createServer((req, res) => {
    if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(bundle));
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><script src="/bench.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const { chromium } = createRequire(join(root, '.ci', 'e2e', 'package.json'))('playwright-core');
  const { chromiumArgs, chromiumPath } = await import(join(root, 'test', 'harness', 'code-server.mjs'));
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  let page: Awaited<ReturnType<BenchPage>>;
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${port}/`);
    page = await tab.evaluate(([s, w]: [number, number]) => (window as unknown as { bnlabBench: BenchPage }).bnlabBench(s, w), [steps, warmup]);
  } finally {
    await browser.close();
    server.close();
  }

  // BN Lab CPU, the same step in this process.
  const model = buildModel('seed', { sampleShape: [1, 28, 28], numClasses: 10, seed: 0 }).train();
  const opt = new Adam(model.params().map((p) => p.param), { lr: 1e-3 });
  const x = new Tensor([100, 1, 28, 28]).data.map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const xt = new Tensor([100, 1, 28, 28], x), labels = Int32Array.from({ length: 100 }, (_, i) => i % 10);
  const cpuStep = () => {
    const r = crossEntropy(model.forward(xt), labels);
    model.backward(r.dLogits!);
    opt.step();
  };
  for (let i = 0; i < warmup; i++) cpuStep();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) cpuStep();
  const cpuMs = (performance.now() - t0) / steps;

  const rate = (ms: number) => (1000 / ms).toFixed(2);
  console.log(`seed net, batch 100, Adam 1e-3, ${steps} steps after ${warmup} warm-up; adapter: ${page.adapter}`);
  console.log(`  BN Lab WebGPU          ${rate(page.bnlab.stepMs).padStart(8)} steps/s (${page.bnlab.stepMs.toFixed(1)} ms/step)`);
  if ('stepMs' in page.tfjs) {
    console.log(`  tfjs-backend-webgpu    ${rate(page.tfjs.stepMs).padStart(8)} steps/s (${page.tfjs.stepMs.toFixed(1)} ms/step)`);
    console.log(`  ratio BN Lab / tfjs    ${(page.tfjs.stepMs / page.bnlab.stepMs).toFixed(2)}x steps/s`);
  } else console.log(`  tfjs-backend-webgpu    failed: ${page.tfjs.error}`);
  console.log(`  BN Lab CPU (Node)      ${rate(cpuMs).padStart(8)} steps/s (${cpuMs.toFixed(1)} ms/step); WebGPU / CPU ${(cpuMs / page.bnlab.stepMs).toFixed(2)}x`);
  console.log(`  BN2d fwd+bwd [100,32,28,28] on WebGPU: ${page.bnlab.bnMs.toFixed(2)} ms, ${page.bnlab.bnGBs.toFixed(1)} GB/s (6 tensor passes)`);
  if (/software/.test(page.adapter)) console.log('  (software adapter: these speeds say nothing about a GPU; only correctness counts here)');
}

main().catch((e) => {
  console.error(`bench:webgpu failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
