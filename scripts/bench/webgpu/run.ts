/**
 * `npm run bench:webgpu`: the seed net at batch 100 (Adam, BN) — BN Lab WebGPU vs TensorFlow.js's
 * WebGPU backend in the same headless chromium (--enable-unsafe-webgpu), and BN Lab CPU in Node,
 * side by side with ratios; BN2d forward+backward time and its bandwidth; the adapter named.
 * On a software adapter (SwiftShader) only correctness means anything; speed needs a real GPU.
 * `--node`: both WebGPU engines in this Node process on Dawn (npm `webgpu`; BNLAB_DAWN_BACKEND=vulkan
 * on a GPU machine) instead of chromium: the path for a machine without a browser.
 *   npm run bench:webgpu [-- --steps N --warmup N --node]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { benchOnDawn, cpuStepMs, printBench } from './node-path';
import type { BenchResult } from './steps';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const steps = flag('steps', 10), warmup = flag('warmup', 2);
const here = __dirname, root = join(here, '..', '..', '..');

const inNode = args.includes('--node');

/** Both engines in a headless chromium page (--enable-unsafe-webgpu). */
async function inChromium(): Promise<BenchResult> {
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
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${port}/`);
    return await tab.evaluate(([s, w]: [number, number]) => (window as unknown as { bnlabBench: (s: number, w: number) => Promise<BenchResult> }).bnlabBench(s, w), [steps, warmup]);
  } finally {
    await browser.close();
    server.close();
  }
}

async function main() {
  if (!existsSync(join(here, 'node_modules', '@tensorflow', 'tfjs-backend-webgpu'))) {
    console.log('bench:webgpu: installing the TensorFlow.js reference (scripts/bench/webgpu)');
    execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
  }
  const page = inNode ? await benchOnDawn(steps, warmup) : await inChromium();

  printBench(inNode ? 'in Node on Dawn' : 'in headless chromium', steps, warmup, page, cpuStepMs(steps, warmup));
}

main().catch((e) => {
  console.error(`bench:webgpu failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
