// UI checks of the lab in the installed extension (called from test/ui/run.mjs after its dashboard
// check): "BN Lab: Train" from the palette with the default model and data, the dashboard
// screenshotted mid-training, "BN Lab: Stop Training"; then a .bnlab notebook run with "Run All"
// and screenshotted once the renderer shows both runs completed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findInFrames } from '../harness/code-server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` in a frame until it returns a truthy value. */
async function waitIn(frame, fn, arg, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await frame.evaluate(fn, arg).catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(500);
  }
}

/** The notebook the UI test runs: the blog's seed ConvNet on the embedded digits, with and without BN, 30 steps each. */
const NOTEBOOK = {
  bnlab: 1,
  metadata: {},
  cells: [
    { kind: 'markdown', source: ['# BN vs no BN (UI test)', '', 'The seed ConvNet on the embedded digits, 30 steps each.'] },
    { kind: 'lab', source: ['name: seed with BN', 'model: seed', 'data: digits', 'steps: 30', 'batch: 100', 'seed: 1', 'stats_interval: 5', 'eval_modes: true', 'compare:', '  - { label: seed without BN, bn: off }'] },
  ],
};

/** F1, type the title, click the row whose label is exactly the title (Enter could take a fuzzier match such as "Stop Training"). */
async function runCommand(page, title, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
    try {
      await row.waitFor({ timeout: 5_000 });
      await row.click();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`the command palette never listed "${title}": ${e.message}`);
      await page.keyboard.press('Escape');
    }
  }
}

export async function labChecks({ server, browser, check: checkOne, resultsDir }) {
  let failed = false;
  const check = (title, fn) =>
    checkOne(title, async () => {
      try {
        await fn();
      } catch (e) {
        failed = true;
        throw e;
      }
    });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const shot = (name) => page.screenshot({ path: join(resultsDir, name) }).catch(() => {});
  // Workspace settings for the run (read when Train starts): BN statistics every 5 steps.
  writeFileSync(join(server.dir, 'user-data', 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'security.workspace.trust.enabled': false,
    'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'telemetry.telemetryLevel': 'off', 'update.mode': 'none',
    'bnLab.statsInterval': 5,
  }, null, 2));
  writeFileSync(join(server.workspace, 'bn-vs-no-bn.bnlab'), JSON.stringify(NOTEBOOK, null, 2));
  try {
    await check('the workbench opens again for the lab checks', async () => {
      await page.goto(server.workbenchUrl(), { timeout: 60_000 });
      await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
      await page.locator('.activitybar [aria-label^="BN Lab"]').first().waitFor({ timeout: 60_000 });
    });

    await check('F1 → "BN Lab: Train" trains the seed net on digits; the dashboard shows curves and per-channel BN statistics live', async () => {
      await runCommand(page, 'BN Lab: Train', 60_000);
      const frame = await findInFrames(page, '#bn-dashboard', 60_000);
      const info = await waitIn(
        frame,
        () => {
          const root = document.getElementById('bn-dashboard');
          const canvases = root.querySelectorAll('.chart canvas, canvas.heatmap').length;
          const layers = root.querySelectorAll('[data-testid="select-layer"] option').length;
          return Number(root.dataset.step) >= 25 && layers >= 2 && canvases >= 8 && { step: root.dataset.step, layers, canvases, status: root.querySelector('[data-testid="status"]').textContent };
        },
        undefined,
        240_000,
        'step 25 with BN statistics in the dashboard',
      );
      console.log(`      dashboard: ${JSON.stringify(info)}`);
      await shot('ui-dashboard-training.png');
      // The same dashboard, wider, as an editor panel.
      await runCommand(page, 'BN Lab: Open Dashboard in Editor', 30_000);
      await sleep(3000);
      await shot('ui-dashboard-training-panel.png');
    });

    await check('F1 → "BN Lab: Stop Training" stops the run (status cancelled)', async () => {
      await runCommand(page, 'BN Lab: Stop Training', 30_000);
      const frame = await findInFrames(page, '#bn-dashboard', 10_000);
      const status = await waitIn(frame, () => /cancelled/.test(document.querySelector('[data-testid="status"]')?.textContent ?? '') && document.querySelector('[data-testid="status"]').textContent, undefined, 30_000, 'the cancelled status');
      console.log(`      ${status}`);
    });

    await check('a .bnlab notebook runs with "Run All": the renderer shows both runs, curves and the BN table', async () => {
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 30_000 });
      await input.fill('bn-vs-no-bn.bnlab');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'bn-vs-no-bn.bnlab' }).first().waitFor({ timeout: 30_000 });
      await page.keyboard.press('Enter');
      await page.locator('.notebook-editor:visible').first().waitFor({ timeout: 60_000 });
      await sleep(1000);
      await runCommand(page, 'Notebook: Run All', 30_000);
      // If VS Code asks which kernel, take BN Lab.
      const picker = page.locator('.quick-input-list .monaco-list-row', { hasText: 'BN Lab' }).first();
      if (await picker.isVisible({ timeout: 3000 }).catch(() => false)) await picker.click();
      const frame = await findInFrames(page, '[data-testid="bn-table"]', 120_000);
      const rows = await waitIn(
        frame,
        () => {
          const runs = [...document.querySelectorAll('[data-testid="run"]')].map((r) => r.textContent);
          return runs.length === 2 && runs.every((t) => t.includes('completed')) && document.querySelector('[data-testid="modes-table"]') && runs;
        },
        undefined,
        240_000,
        'both notebook runs completed',
      );
      console.log(`      notebook runs: ${rows.join(' | ')}`);
      await sleep(1000);
      await shot('ui-notebook.png');
    });
  } finally {
    await shot('ui-lab-last.png');
    await page.close().catch(() => {});
  }
  // On failure, the extension's own log tells why.
  if (failed) {
    const { execSync } = await import('node:child_process');
    try {
      const logs = execSync(`find ${JSON.stringify(server.dir)} -name '*BN Lab*.log' -o -name 'exthost*.log' | head -5`, { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      for (const f of logs) console.log(`      --- ${f.slice(server.dir.length)}\n${execSync(`tail -n 15 ${JSON.stringify(f)}`, { encoding: 'utf8' }).replace(/^/gm, '      ')}`);
    } catch {
      /* no logs */
    }
  }
}
