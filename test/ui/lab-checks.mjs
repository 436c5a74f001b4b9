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

export async function labChecks({ server, browser, check, runFromPalette, resultsDir }) {
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
    await page.goto(server.workbenchUrl(), { timeout: 60_000 });
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    await page.locator('.activitybar [aria-label^="BN Lab"]').first().waitFor({ timeout: 60_000 });

    await check('F1 → "BN Lab: Train" trains the seed net on digits; the dashboard shows curves and per-channel BN statistics live', async () => {
      await runFromPalette(page, 'BN Lab: Train', 60_000);
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
      const panel = await frame.$('#bn-dashboard');
      await panel?.screenshot({ path: join(resultsDir, 'ui-dashboard-training-view.png') }).catch(() => {});
    });

    await check('F1 → "BN Lab: Stop Training" stops the run (status cancelled)', async () => {
      await runFromPalette(page, 'BN Lab: Stop Training', 30_000);
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
      await page.locator('.notebook-editor').first().waitFor({ timeout: 60_000 });
      await sleep(1000);
      await runFromPalette(page, 'Notebook: Run All', 30_000);
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
}
