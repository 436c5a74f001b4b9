#!/usr/bin/env node
// `npm test`: setup (installs what is missing), then the tiers typecheck, unit, gpu (WebGPU in
// headless chromium), gpu-node (the same suite on Dawn in Node), integration, ui.
// Ends with one line `N passed, N failed`; exits non-zero if any tier failed or did not run.
//   node test/run-all.mjs                 everything
//   node test/run-all.mjs unit ui         a subset (or BNLAB_TIERS=unit,ui)
//   BNLAB_SKIP_SETUP=1 node test/run-all.mjs unit    skip the setup step
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAptPackages } from '../scripts/apt.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, 'test-results');
const e2e = join(root, '.ci', 'e2e');
const minutes = (env, dflt) => Number(process.env[env] ?? dflt) * 60_000;

const tiers = {
  typecheck: {
    cmd: [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', '.'],
    timeout: minutes('BNLAB_TYPECHECK_TIMEOUT_MIN', 10),
    countsFromExitCode: true,
  },
  unit: {
    cmd: [join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--reporter', join(root, 'test', 'harness', 'spec-json-reporter.cjs'), '--reporter-option', `output=${join(results, 'unit.json')}`],
    results: join(results, 'unit.json'),
    timeout: minutes('BNLAB_UNIT_TIMEOUT_MIN', 30),
  },
  gpu: {
    cmd: [join(root, 'test', 'gpu', 'run-browser.mjs'), '--results', join(results, 'gpu.json')],
    results: join(results, 'gpu.json'),
    timeout: minutes('BNLAB_GPU_TIMEOUT_MIN', 15),
    needsCodeServer: true,
  },
  'gpu-node': {
    cmd: [join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--no-config', '--node-option', 'import=tsx', '--timeout', '120000', '--exit',
      '--reporter', join(root, 'test', 'harness', 'spec-json-reporter.cjs'), '--reporter-option', `output=${join(results, 'gpu-node.json')}`,
      join(root, 'test', 'gpu', 'node.test.ts')],
    results: join(results, 'gpu-node.json'),
    timeout: minutes('BNLAB_GPU_NODE_TIMEOUT_MIN', 15),
  },
  integration: {
    cmd: [join(root, 'test', 'integration', 'run-code-server.mjs'), '--results', join(results, 'integration.json')],
    results: join(results, 'integration.json'),
    timeout: minutes('BNLAB_INTEGRATION_TIMEOUT_MIN', 25),
    needsCodeServer: true,
  },
  ui: {
    cmd: [join(root, 'test', 'ui', 'run.mjs'), '--results', join(results, 'ui.json')],
    results: join(results, 'ui.json'),
    timeout: minutes('BNLAB_UI_TIMEOUT_MIN', 25),
    needsCodeServer: true,
  },
};

const requested = process.argv.slice(2).length ? process.argv.slice(2) : (process.env.BNLAB_TIERS?.split(',').filter(Boolean) ?? Object.keys(tiers));
const unknown = requested.filter((t) => !(t in tiers));
if (unknown.length) {
  console.error(`unknown tier(s): ${unknown.join(', ')}; tiers are ${Object.keys(tiers).join(', ')}`);
  process.exit(2);
}
const selected = Object.keys(tiers).filter((t) => requested.includes(t));

// ---------------------------------------------------------------- setup

// libopenblas0-pthread: PyTorch, the numerics and speed reference, as its users run it (an optimized BLAS).
const aptPackages = ['chromium', 'python3-torch', 'libopenblas0-pthread', 'python3-onnx', 'dataset-fashion-mnist', 'libkrb5-dev', 'ripgrep'];

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed (${r.error?.message ?? r.status ?? r.signal})`);
}

/** code-server 4.100.3 + playwright-core in .ci/e2e, installed offline-safe; skipped when the lockfile is unchanged. */
function ensureE2e() {
  const lockHash = createHash('sha256').update(readFileSync(join(e2e, 'package-lock.json'))).digest('hex');
  const stamp = join(e2e, 'node_modules', '.bnlab-installed');
  const entry = join(e2e, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (existsSync(entry) && existsSync(stamp) && readFileSync(stamp, 'utf8') === lockHash) return;
  // @vscode/ripgrep (inside code-server) would download rg; it takes this cached tarball first.
  const cache = join(tmpdir(), 'vscode-ripgrep-cache-1.15.11');
  const tarball = join(cache, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz');
  if (!existsSync(tarball)) {
    const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
    if (!rg) throw new Error('ripgrep (`rg`) is not on PATH; install the Debian package `ripgrep`');
    mkdirSync(cache, { recursive: true });
    sh('tar', ['-czf', tarball, '-C', dirname(rg), 'rg']);
  }
  console.log('setup: npm ci in .ci/e2e (code-server 4.100.3, playwright-core)');
  rmSync(stamp, { force: true });
  sh('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: e2e,
    env: { ...process.env, npm_config_yes: 'true', npm_config_unsafe_perm: 'true' },
  });
  writeFileSync(stamp, lockHash);
}

function setup() {
  const t0 = Date.now();
  ensureAptPackages(aptPackages);
  if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) sh('npm', ['ci', '--no-audit', '--no-fund']);
  if (selected.some((t) => tiers[t].needsCodeServer)) ensureE2e();
  sh(process.execPath, [join(root, 'scripts', 'build.mjs')]);
  console.log(`setup: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------- tiers

const running = new Set();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const child of running) killGroup(child, 'SIGKILL');
    process.exit(130);
  });
}
function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* gone */
  }
}

/** Runs a tier in its own process group with a deadline; returns {passed, failed, note}. */
function runTier(name) {
  const tier = tiers[name];
  if (tier.results) rmSync(tier.results, { force: true });
  return new Promise((done) => {
    const child = spawn(process.execPath, tier.cmd, { cwd: root, stdio: 'inherit', detached: true });
    running.add(child);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`${name}: timed out after ${tier.timeout / 60_000} min; killing it`);
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), 5000).unref();
    }, tier.timeout);
    child.on('error', (e) => console.error(`${name}: could not start: ${e.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      killGroup(child, 'SIGKILL'); // leftovers of the group (e.g. a browser)
      if (tier.countsFromExitCode) return done(code === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 });
      let r;
      try {
        r = JSON.parse(readFileSync(tier.results, 'utf8'));
      } catch {
        return done({ passed: 0, failed: 1, note: timedOut ? 'timed out' : `did not report results (exit ${code ?? signal})` });
      }
      const failed = r.failed + (code !== 0 && r.failed === 0 ? 1 : 0);
      done({ passed: r.passed, failed, skipped: r.pending, note: timedOut ? 'timed out' : code !== 0 && r.failed === 0 ? `exit ${code ?? signal}` : undefined });
    });
  });
}

const summary = [];
let setupError;
if (process.env.BNLAB_SKIP_SETUP !== '1') {
  console.log('== setup');
  try {
    setup();
  } catch (e) {
    setupError = e.message;
    console.error(`setup failed: ${e.message}`);
  }
}
mkdirSync(results, { recursive: true });
for (const name of selected) {
  if (setupError) {
    summary.push({ name, passed: 0, failed: 1, note: 'did not run: setup failed' });
    continue;
  }
  console.log(`\n== ${name}`);
  const t0 = Date.now();
  const r = await runTier(name);
  summary.push({ name, ...r, seconds: (Date.now() - t0) / 1000 });
}

console.log('\n== summary');
for (const s of summary) {
  const time = s.seconds === undefined ? '' : ` (${s.seconds.toFixed(1)} s)`;
  console.log(`${s.name.padEnd(12)} ${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}${time}${s.note ? ` — ${s.note}` : ''}`);
}
const passed = summary.reduce((a, s) => a + s.passed, 0);
const failed = summary.reduce((a, s) => a + s.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || summary.length === 0 ? 1 : 0);
