// A real VS Code, offline: code-server 4.100.3 (from .ci/e2e) plus Debian's chromium driven by
// playwright-core. Shared by the integration and UI tiers. Every wait has a deadline so a hang
// fails fast.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const resultsDir = join(root, 'test-results');
const e2e = join(root, '.ci', 'e2e');
const codeServerEntry = join(e2e, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const chromiumPath = process.env.BNLAB_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-unsafe-webgpu',
];

/** playwright-core from .ci/e2e (kept out of the main install). */
export function playwright() {
  return createRequire(join(e2e, 'package.json'))('playwright-core');
}

function freePort() {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => done(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects with `what` if `promise` has not settled within `ms`. */
export function withDeadline(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`timed out after ${Math.round(ms / 1000)} s: ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts code-server in its own process group with all state in a temp dir.
 * `env` reaches the extension host (e.g. a results-file path).
 */
export async function startCodeServer({ env = {}, vsix } = {}) {
  if (!existsSync(codeServerEntry)) throw new Error(`code-server is not installed in ${e2e}; run \`npm test\` (its setup installs it)`);
  const dir = mkdtempSync(join(tmpdir(), 'bnlab-cs-'));
  const ud = join(dir, 'user-data');
  const exts = join(dir, 'extensions');
  const workspace = join(dir, 'workspace');
  const tmp = join(dir, 'tmp');
  for (const d of [join(ud, 'User'), exts, workspace, tmp]) mkdirSync(d, { recursive: true });
  writeFileSync(join(ud, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'security.workspace.trust.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
  }, null, 2));
  const port = await freePort();
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const log = join(dir, 'code-server.log');
  const fullEnv = {
    ...process.env,
    XDG_CONFIG_HOME: join(dir, 'xdg-config'),
    XDG_DATA_HOME: join(dir, 'xdg-data'),
    XDG_CACHE_HOME: join(dir, 'xdg-cache'),
    TMPDIR: tmp, // its sockets and scratch files go away with `dir`
    ...env,
  };
  const common = ['--disable-telemetry', '--disable-update-check', '--user-data-dir', ud, '--extensions-dir', exts, '--config', config];

  if (vsix) {
    const r = spawnSync(process.execPath, [codeServerEntry, ...common, '--install-extension', vsix], { env: fullEnv, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }

  const out = openSync(log, 'a');
  const child = spawn(process.execPath, [codeServerEntry, ...common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-workspace-trust'], {
    detached: true, // setsid: its own process group, ended as a whole in stop()
    env: fullEnv,
    stdio: ['ignore', out, out],
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  const killGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const onExit = () => killGroup('SIGKILL');
  process.on('exit', onExit);

  const url = `http://127.0.0.1:${port}`;
  const server = {
    url, port, dir, workspace, exts, log,
    logTail: (n) => tail(log, n),
    /** Workbench URL; `payload` entries go to VS Code (extensionDevelopmentPath, extensionTestsPath). */
    workbenchUrl(payload) {
      const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
      let u = `${url}/?folder=${encodeURIComponent(workspace)}`;
      if (payload) {
        const entries = Object.entries(payload).map(([k, v]) => [k, remote(v)]);
        u += `&payload=${encodeURIComponent(JSON.stringify(entries))}`;
      }
      return u;
    },
    async stop({ keepDir = false } = {}) {
      killGroup('SIGTERM');
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      killGroup('SIGKILL');
      process.off('exit', onExit);
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited during startup:\n${tail(log)}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await server.stop({ keepDir: true });
      throw new Error(`code-server did not answer /healthz within 60 s:\n${tail(log)}`);
    }
    await sleep(250);
  }
  return server;
}

/** Headless Debian chromium with a fresh profile (WebGPU enabled for later GPU tests). */
export async function launchBrowser() {
  const { chromium } = playwright();
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, timeout: 60_000 });
}

/** Polls every frame of `page` for `selector`; returns the frame that holds it. */
export async function findInFrames(page, selector, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      try {
        if (await frame.$(selector)) return frame;
      } catch {
        /* frame detached while searching */
      }
    }
    if (Date.now() > deadline) throw new Error(`no frame holds ${selector} after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(250);
  }
}

/** Writes a tier's result file (read by test/run-all.mjs). */
export function writeResults(file, results) {
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(results, null, 2));
  renameSync(`${file}.tmp`, file);
}
