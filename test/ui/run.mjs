#!/usr/bin/env node
// UI tier: package the .vsix, install it into code-server (offline VS Code), then drive the
// workbench with Debian's chromium like a user: F1 → "BN Lab: Open Dashboard" → the dashboard
// webview renders (its content is found in nested frames) → PNG under test-results/.
//   node test/ui/run.mjs [--results file.json]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { findInFrames, launchBrowser, resultsDir, root, startCodeServer, writeResults } from '../harness/code-server.mjs';
import { labChecks } from './lab-checks.mjs';

const resultsArg = process.argv.indexOf('--results');
const resultsFile = resultsArg > 0 ? process.argv[resultsArg + 1] : undefined;
const manifest = JSON.parse((await import('node:fs')).readFileSync(join(root, 'package.json'), 'utf8'));
const extDirName = `${manifest.publisher}.${manifest.name}-${manifest.version}`.toLowerCase();

const results = { passed: 0, failed: 0, tests: [] };
let blocked = false;
/** Runs one named check; after a failure the remaining checks are reported failed, not run. */
async function check(title, fn) {
  if (blocked) {
    results.failed++;
    console.log(`  ✗ ${title} (not run: an earlier step failed)`);
    return;
  }
  try {
    await fn();
    results.passed++;
    console.log(`  ✓ ${title}`);
  } catch (e) {
    results.failed++;
    blocked = true;
    console.log(`  ✗ ${title}\n      ${String(e.stack ?? e).split('\n').slice(0, 8).join('\n      ')}`);
  }
}

function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath ?? d.path, d.name)));
}

/** F1, type the command's title, Enter; retried until the row shows or the deadline passes. */
async function runFromPalette(page, title, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 5_000 });
      await page.keyboard.press('Enter');
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`the command palette never listed "${title}": ${e.message}`);
      await page.keyboard.press('Escape');
    }
  }
}

const work = mkdtempSync(join(tmpdir(), 'bnlab-ui-'));
const vsix = join(work, 'bn-lab.vsix');
mkdirSync(resultsDir, { recursive: true });
let server;
let browser;
try {
  await check('vsce packages a .vsix', () => {
    const r = spawnSync('npx', ['vsce', 'package', '--no-dependencies', '--out', vsix], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    if (r.status !== 0) throw new Error(`vsce package failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  });

  await check('the .vsix installs into code-server and ships no sources, tests, maps or node_modules', async () => {
    server = await startCodeServer({ vsix });
    const installed = join(server.exts, extDirName);
    const files = listFiles(installed);
    for (const must of ['package.json', 'dist/extension.js', 'dist/webview/dashboard.js']) {
      if (!files.includes(must)) throw new Error(`installed extension lacks ${must}; it has: ${files.join(', ')}`);
    }
    const unwanted = files.filter((f) => /\.(ts|map)$/.test(f) || /^(src|test|webview|scripts|node_modules|\.ci)\//.test(f));
    if (unwanted.length) throw new Error(`the .vsix ships files it should not: ${unwanted.join(', ')}`);
  });

  await check('F1 → "BN Lab: Open Dashboard" renders the dashboard webview', async () => {
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(server.workbenchUrl(), { timeout: 60_000 });
      await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
      await page.waitForSelector('.activitybar', { timeout: 60_000 });
      // The palette lists the commands known when it opens: wait for BN Lab's activity-bar
      // entry, and reopen the palette if the command is not listed yet.
      await page.locator('.activitybar [aria-label^="BN Lab"]').first().waitFor({ timeout: 60_000 });
      await runFromPalette(page, 'BN Lab: Open Dashboard', 60_000);
      const frame = await findInFrames(page, '#bn-dashboard', 60_000);
      const text = await frame.textContent('body');
      if (!text?.includes('BN Lab')) throw new Error(`dashboard webview text lacks "BN Lab": ${text}`);
    } finally {
      await page.screenshot({ path: join(resultsDir, 'ui-dashboard.png') }).catch(() => {});
    }
  });

  if (!blocked) await labChecks({ server, browser, check, resultsDir });

  // The dashboard and notebook renderer bundles in plain chromium pages: strict CSP, bad messages, restore, bounded memory.
  for (const script of ['dashboard-page.mjs', 'renderer-page.mjs']) {
    await check(`webview page test ${script}`, () => {
      const r = spawnSync(process.execPath, [join(root, 'test', 'ui', script), '--dist'], { cwd: root, encoding: 'utf8', timeout: 180_000 });
      console.log(r.stdout.trimEnd().replace(/^/gm, '    '));
      if (r.status !== 0) throw new Error(`${script} failed (${r.status ?? r.signal}):\n${r.stderr}`);
    });
  }
} finally {
  await browser?.close().catch(() => {});
  if (results.failed && server) console.error(`code-server log (tail):\n${server.logTail(30)}`);
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
}
console.log(`ui: ${results.passed} passing, ${results.failed} failing (screenshot: test-results/ui-dashboard.png)`);
writeResults(resultsFile, results);
process.exit(results.failed ? 1 : 0);
