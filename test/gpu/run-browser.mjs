#!/usr/bin/env node
// GPU tier: the WebGPU parity suite in headless Debian chromium (--enable-unsafe-webgpu; SwiftShader
// when there is no GPU). Bundles test/gpu/browser-entry.ts, serves it from 127.0.0.1 (a secure
// context), runs every case in the page and reports per case and the worst error per kernel.
//   node test/gpu/run-browser.mjs [--results file.json] [--filter text]
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { launchBrowser, root, writeResults } from '../harness/code-server.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const resultsFile = arg('--results');
const filter = arg('--filter');

const bundle = join(root, 'dist-test', 'gpu-parity.js');
await esbuild.build({ entryPoints: [join(root, 'test', 'gpu', 'browser-entry.ts')], outfile: bundle, bundle: true, platform: 'browser', format: 'iife', target: 'es2022', external: ['node:worker_threads', 'node:os'], logLevel: 'warning' });

const page = '<!doctype html><meta charset="utf-8"><title>BN Lab WebGPU parity</title><script src="/gpu-parity.js"></script>';
const server = createServer((req, res) => {
  const fixture = /^\/fixtures\/([\w.-]+)$/.exec(req.url ?? '');
  if (req.url === '/gpu-parity.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(bundle));
  else if (fixture) res.writeHead(200).end(readFileSync(join(root, 'test', 'fixtures', 'golden', fixture[1])));
  else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

const results = { passed: 0, failed: 0, tests: [] };
const browser = await launchBrowser();
try {
  const tab = await browser.newPage();
  tab.on('console', (m) => m.type() === 'error' && console.log(`  [page] ${m.text()}`));
  await tab.goto(url);
  const { adapter, results: cases } = await tab.evaluate((f) => window.bnlabParity(f), filter);
  console.log(`adapter: ${adapter}`);
  const worstPerKernel = {};
  for (const c of cases) {
    const ok = c.ok;
    results[ok ? 'passed' : 'failed']++;
    results.tests.push({ title: c.name, ok, worst: c.worst, detail: c.detail });
    console.log(`  ${ok ? '✓' : '✗'} ${c.name}  worst ${c.worst.toExponential(2)} (${Math.round(c.ms)} ms)${ok ? '' : `\n      ${c.detail ?? ''}`}`);
    for (const k of c.kernels) worstPerKernel[k] = Math.max(worstPerKernel[k] ?? 0, c.worst);
  }
  console.log('worst relative error per kernel:');
  for (const [k, w] of Object.entries(worstPerKernel).sort()) console.log(`  ${k.padEnd(26)} ${w.toExponential(2)}`);
  results.adapter = adapter;
  results.worstPerKernel = worstPerKernel;
} catch (e) {
  results.failed++;
  console.log(`  ✗ the parity suite did not run: ${e.message}`);
} finally {
  await browser.close();
  server.close();
}
writeResults(resultsFile, results);
console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
