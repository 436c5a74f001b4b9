// UI checks of the lab in the installed extension (called from test/ui/run.mjs after its dashboard
// check): "BN Lab: Train" + Enter from the palette with the default model and data, the dashboard
// screenshotted mid-training, "BN Lab: Stop" (listed only while training), "BN Lab: Recalibrate BN
// Statistics" of the stopped run; the editor-tab
// dashboard closed, reopened and restored after a reload; Settings; Compare BN Settings (a momentum sweep and its
// summary); then a .bnlab notebook run with "Run All", screenshotted in the light, dark and high-contrast themes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findInFrames } from '../harness/code-server.mjs';
import { chartInk } from './page-kit.mjs';

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

/** F1, type the title, click the row whose label is exactly the title (Enter takes the first, possibly fuzzier, match). */
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

/** F1, type `query`; returns the palette's row labels in order (the palette stays open). */
async function paletteRows(page, query) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(`>${query}`);
  await sleep(800);
  return page.locator('.quick-input-list .monaco-list-row .label-name').allTextContents();
}

/** The user settings of the lab checks, with `extra` on top. */
const userSettings = (extra) => JSON.stringify({
  'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'telemetry.telemetryLevel': 'off', 'update.mode': 'none',
  'workbench.colorTheme': 'Default Light Modern', 'bnLab.statsInterval': 5, ...extra,
}, null, 2);

/** Rewrites the user settings file before the workbench opens. */
function writeSettings(server, extra) {
  writeFileSync(join(server.dir, 'user-data', 'User', 'settings.json'), userSettings(extra));
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
  // User settings for the run (read when Train starts): BN statistics every 5 steps, and 5 epochs
  // so that the run is still going when the Stop check comes (the threaded CPU backend does an epoch in ~5 s).
  writeSettings(server, { 'bnLab.epochs': 5 });
  writeFileSync(join(server.workspace, 'bn-vs-no-bn.bnlab'), JSON.stringify(NOTEBOOK, null, 2));
  try {
    await check('the workbench opens again for the lab checks', async () => {
      await page.goto(server.workbenchUrl(), { timeout: 60_000 });
      await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
      await page.locator('.activitybar [aria-label^="BN Lab"]').first().waitFor({ timeout: 60_000 });
    });

    await check('F1 → "BN Lab: Train" + Enter (the first row) trains the seed net on digits; "BN Lab: Stop" is not listed while idle', async () => {
      const idle = await paletteRows(page, 'BN Lab: Stop');
      await page.keyboard.press('Escape');
      if (idle.some((r) => r.startsWith('BN Lab: Stop'))) throw new Error(`"BN Lab: Stop" listed while idle: ${idle.join(' | ')}`);
      const rows = await paletteRows(page, 'BN Lab: Train');
      if (rows[0] !== 'BN Lab: Train') throw new Error(`the first row for "BN Lab: Train" is "${rows[0]}" (rows: ${rows.join(' | ')})`);
      await page.keyboard.press('Enter');
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
      // The status bar and the progress notification show the same loss at the same moment.
      const readouts = [];
      for (let i = 0; i < 5; i++) {
        readouts.push(await page.evaluate(() => {
          const loss = (t) => /loss (\d+\.\d+)/.exec(t ?? '')?.[1];
          const status = [...document.querySelectorAll('.statusbar-item')].map((e) => e.textContent).find((t) => t.includes('BN Lab: loss'));
          return [loss(status), loss(document.querySelector('.notifications-toasts')?.textContent)];
        }));
        await sleep(330);
      }
      console.log(`      status bar vs notification: ${readouts.map((r) => r.join(' vs ')).join(', ')}`);
      if (readouts.some(([a, b]) => !a || a !== b)) throw new Error(`status bar and notification disagree: ${JSON.stringify(readouts)}`);
    });

    await check('while training, "BN Lab: Stop" is listed; it stops the run (status cancelled) and is hidden again, and "BN Lab: Train" stays the first row', async () => {
      await runCommand(page, 'BN Lab: Stop', 30_000);
      const frame = await findInFrames(page, '#bn-dashboard', 10_000);
      const status = await waitIn(frame, () => /cancelled/.test(document.querySelector('[data-testid="status"]')?.textContent ?? '') && document.querySelector('[data-testid="status"]').textContent, undefined, 30_000, 'the cancelled status');
      console.log(`      ${status}`);
      await sleep(500);
      const rows = await paletteRows(page, 'BN Lab: Stop');
      await page.keyboard.press('Escape');
      if (rows.some((r) => r.startsWith('BN Lab: Stop'))) throw new Error(`"BN Lab: Stop" still listed after the run stopped: ${rows.join(' | ')}`);
      // Stop is now "recently used": the query "BN Lab: Train" must still list Train first.
      const train = await paletteRows(page, 'BN Lab: Train');
      await page.keyboard.press('Escape');
      if (train[0] !== 'BN Lab: Train') throw new Error(`after Stop was used, the first row for "BN Lab: Train" is "${train[0]}" (rows: ${train.join(' | ')})`);
    });

    await check('F1 → "BN Lab: Recalibrate BN Statistics": pick the stopped run, type 5 batches; the notification gives eval accuracy before and after', async () => {
      await runCommand(page, 'BN Lab: Recalibrate BN Statistics', 30_000);
      const first = page.locator('.quick-input-list .monaco-list-row').first();
      await first.waitFor({ timeout: 15_000 });
      await first.click();
      const input = page.locator('.quick-input-widget input');
      await page.locator('.quick-input-widget', { hasText: 'Training batches' }).waitFor({ timeout: 15_000 });
      await input.fill('5');
      await page.keyboard.press('Enter');
      const toast = page.locator('.notifications-toasts', { hasText: 'BN recalibration of' });
      await toast.waitFor({ timeout: 120_000 });
      const text = await toast.textContent();
      console.log(`      ${text.slice(0, 300)}`);
      if (!/BN recalibration of run #\d+ "seed[^"]*": test accuracy \(eval mode\) before \d\.\d{4}, after \d\.\d{4}.*wrote .*-recalibrated/.test(text)) throw new Error(`notification: ${text}`);
      await shot('ui-recalibrate.png');
    });

    await check('the editor-tab dashboard opens, closes, opens again, and survives a window reload', async () => {
      for (let round = 0; round < 2; round++) {
        await runCommand(page, 'BN Lab: Open Dashboard in Editor', 30_000);
        await page.locator('.tabs-container .tab', { hasText: 'BN Lab Dashboard' }).first().waitFor({ timeout: 15_000 });
        if (round === 0) {
          await sleep(1500);
          await runCommand(page, 'View: Close Editor', 15_000);
          await page.locator('.tabs-container .tab', { hasText: 'BN Lab Dashboard' }).first().waitFor({ state: 'detached', timeout: 15_000 });
        }
      }
      const errors = await page.locator('.notifications-toasts', { hasText: 'disposed' }).count();
      if (errors) throw new Error('a "Webview is disposed" notification appeared');
      await sleep(1500);
      await shot('ui-dashboard-panel.png');
      // Only the editor tab should hold a dashboard after the reload: close the side bar (its view would restore too).
      await runCommand(page, 'View: Close Primary Side Bar', 15_000);
      await sleep(1500);
      // As a user reloads: the command flushes the workbench state first (a bare page reload may not).
      await runCommand(page, 'Developer: Reload Window', 15_000);
      await page.waitForEvent('load', { timeout: 60_000 });
      await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
      await page.locator('.tabs-container .tab', { hasText: 'BN Lab Dashboard' }).first().waitFor({ timeout: 60_000 });
      const frame = await findInFrames(page, '#bn-dashboard', 60_000);
      const runs = await waitIn(frame, () => Number(document.getElementById('bn-dashboard')?.dataset.runs) >= 1 && document.getElementById('bn-dashboard').dataset.runs, undefined, 30_000, 'the restored dashboard with its run');
      console.log(`      restored editor-tab dashboard with ${runs} run(s)`);
      await shot('ui-dashboard-panel-reloaded.png');
      await runCommand(page, 'View: Close Editor', 15_000);
      await runCommand(page, 'View: Toggle Primary Side Bar Visibility', 15_000);
      // Keys go to the workbench again, not to the side bar's webview.
      await page.locator('.part.editor').first().click({ position: { x: 200, y: 200 } });
    });

    await check('Settings list BN Lab in sections, say which momentum and eps the Keras convention uses, and title the BN settings "Batch Norm: …"', async () => {
      await runCommand(page, 'Preferences: Open Settings (UI)', 15_000);
      await page.locator('.settings-editor').first().waitFor({ timeout: 30_000 });
      await sleep(1000);
      await page.keyboard.type('@ext:bnlab.bn-lab keras');
      await page.locator('.settings-editor .setting-item-description', { hasText: '0.99 with Keras' }).first().waitFor({ timeout: 30_000 });
      await sleep(800);
      await shot('ui-settings.png');
      // Titles come from the keys (VS Code wordifies them): the BN settings read "Batch Norm: Epsilon", not "Bn Eps".
      await page.keyboard.press('Control+a');
      await page.keyboard.type('@ext:bnlab.bn-lab batch norm');
      await page.locator('.settings-editor .setting-item-title', { hasText: 'Batch Norm: Epsilon' }).first().waitFor({ timeout: 30_000 });
      await sleep(800);
      await shot('ui-settings-titles.png');
      // The list renders the rows in view: scroll through it, collecting titles.
      const titles = new Set();
      await page.locator('.settings-editor .settings-tree-container').first().hover();
      for (let i = 0; i < 6; i++) {
        for (const t of await page.locator('.settings-editor .setting-item-contents .setting-item-title').allTextContents()) titles.add(t);
        await page.mouse.wheel(0, 400);
        await sleep(300);
      }
      for (const want of ['Batch Norm: Momentum', 'Batch Norm: Epsilon', 'Batch Norm: Affine', 'Batch Norm: Track Running Stats'])
        if (![...titles].some((t) => t.endsWith(want))) throw new Error(`no setting titled "${want}": ${[...titles].join(' | ')}`);
      const bad = [...titles].filter((t) => /\bBn (Eps|Momentum|Affine|Track)/.test(t));
      if (bad.length) throw new Error(`titles that do not read: ${bad.join(' | ')}`);
      await runCommand(page, 'View: Close Editor', 15_000);
    });

    await check('F1 → "BN Lab: Compare BN Settings" → BN momentum: the sweep is its own group in the side bar and ends with its summary (train − eval mode, time, steps/s)', async () => {
      // The settings of this session (the seed net on digits, 5 epochs): three runs of 400 steps.
      await runCommand(page, 'BN Lab: Compare BN Settings', 30_000);
      const sweep = page.locator('.quick-input-list .monaco-list-row', { hasText: 'BN momentum: 0.1, 0.01, none' }).first();
      await sweep.waitFor({ timeout: 15_000 });
      await sweep.click();
      const frame = await findInFrames(page, '#bn-dashboard', 60_000);
      const summary = await waitIn(
        frame,
        () => {
          const s = document.querySelector('[data-testid="sweep-summary"]');
          const rows = s && !s.hidden ? [...s.querySelectorAll('tr')].map((r) => [...r.children].map((c) => c.textContent)) : [];
          const visible = [...document.querySelectorAll('[data-testid="run-chip"]:not(.hidden) .name')].map((n) => n.textContent);
          return rows.length === 4 && { title: s.querySelector('[data-testid="sweep-title"]').textContent, rows, visible, overflow: Math.round(s.querySelector('table').getBoundingClientRect().right - s.getBoundingClientRect().right) };
        },
        undefined,
        240_000,
        'the momentum sweep\'s summary table',
      );
      console.log(`      ${JSON.stringify(summary)}`);
      await shot('ui-dashboard-sweep.png');
      const [head, ...rows] = summary.rows;
      if (head.join('|') !== 'run|train acc|test acc|train − eval|time|steps/s') throw new Error(`summary header: ${head}`);
      const names = rows.map((r) => r[0].replace(/ · #\d+$/, ''));
      if (names.join('|') !== 'momentum 0.1|momentum 0.01|momentum none' || summary.visible.join('|') !== rows.map((r) => r[0]).join('|')) throw new Error(`sweep runs: ${JSON.stringify(summary)}`);
      if (!rows.every((r) => /^[+-]\d\.\d{3}$/.test(r[3]) && /^\d+:\d\d$/.test(r[4]))) throw new Error(`gap or time missing: ${JSON.stringify(rows)}`);
      if (summary.overflow > 1) throw new Error(`the summary table runs ${summary.overflow} px past the side bar`);
    });

    await check('a .bnlab notebook runs with "Run All": the renderer shows both runs, curves and the BN table', async () => {
      await runCommand(page, 'Go to File...', 30_000);
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
          return runs.length === 2 && runs.every((t) => t.includes('completed')) && document.querySelector('[data-testid="summary-table"]') && runs;
        },
        undefined,
        240_000,
        'both notebook runs completed',
      );
      console.log(`      notebook runs: ${rows.join(' | ')}`);
      await sleep(1000);
      await shot('ui-notebook.png');
    });

    await check('the finished notebook output follows the theme: light, dark, high contrast (charts redrawn with its colours)', async () => {
      for (const [kind, theme] of [['vscode-dark', 'Default Dark Modern'], ['vscode-high-contrast', 'Default High Contrast'], ['vscode-light', 'Default Light Modern']]) {
        await runCommand(page, 'Preferences: Color Theme', 15_000);
        await page.locator('.quick-input-widget input').fill(theme);
        const row = page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).filter({ hasNotText: 'Browse' }).first();
        await row.waitFor({ timeout: 10_000 });
        await row.click();
        const frame = await findInFrames(page, '[data-testid="bn-table"]', 30_000);
        const drawn = await waitIn(
          frame,
          (k) => {
            const out = document.querySelector('[data-testid="bnlab-output"]');
            const fg = getComputedStyle(document.body).getPropertyValue('--vscode-foreground').trim();
            return document.body.classList.contains(k) && out?.dataset.themeFg === fg && fg;
          },
          kind,
          30_000,
          `the renderer redrawn in ${theme}`,
        );
        await sleep(800);
        // What the canvas shows: tick labels in the theme's foreground (light ≈ 59, dark and high contrast ≥ 204 luminance), no light-grey gridlines, the last x tick whole.
        const ink = await frame.evaluate(chartInk, 'chart-loss');
        console.log(`      ${theme}: charts drawn with foreground ${drawn}; loss chart ${JSON.stringify(ink)}`);
        const readable = kind === 'vscode-light' ? ink?.labelLuminance < 110 : ink?.labelLuminance > 150 && ink.brightGrey < 40;
        if (!ink || ink.labelPixels < 50 || !readable || ink.edgeInk !== 0) throw new Error(`${theme}: the loss chart does not read: ${JSON.stringify(ink)}`);
        await shot(`ui-notebook-${kind.replace('vscode-', '')}.png`);
      }
    });

    /** Scrolls the notebook until the element (in an output frame) is fully in view. */
    const reveal = async (locator) => {
      const height = page.viewportSize().height;
      for (let i = 0; i < 60; i++) {
        const b = await locator.boundingBox().catch(() => null);
        if (b && b.y >= 60 && b.y + b.height <= height - 20) break;
        await page.mouse.wheel(0, !b || b.y + b.height > height - 20 ? 250 : -250);
        await sleep(250);
      }
      await sleep(1000);
    };

    await check('F1 → "BN Lab: New Notebook: When BN Fails" → Run All: three batch-2 runs, the recalibration, the batch-size chart and the landscape band charts, screenshotted light and dark', async () => {
      await runCommand(page, 'BN Lab: New Notebook: When BN Fails', 30_000);
      await page.locator('.notebook-editor:visible').first().waitFor({ timeout: 60_000 });
      await sleep(1000);
      await runCommand(page, 'Notebook: Run All', 30_000);
      const picker = page.locator('.quick-input-list .monaco-list-row', { hasText: 'BN Lab' }).first();
      if (await picker.isVisible({ timeout: 3000 }).catch(() => false)) await picker.click();
      // Cell outputs live in the notebook's webview frames, rendered once their cell has come into view: wait at the end of
      // the notebook for the last cell's output (the landscape), then scroll back up to the sweep's and the recalibration's.
      const editor = page.locator('.notebook-editor:visible').first();
      /** Scrolls the notebook by `dy` at a time until `probe`, run in each frame, returns something: [what it returned, its frame]. */
      const scrollUntil = async (probe, seconds, what, dy) => {
        const until = Date.now() + seconds * 1000;
        for (;;) {
          const at = await editor.boundingBox();
          await page.mouse.move(at.x + at.width / 2, at.y + at.height / 2);
          await page.mouse.wheel(0, dy);
          for (const f of page.frames()) {
            const found = await f.evaluate(probe).catch(() => undefined);
            if (found) return [found, f];
          }
          if (Date.now() > until) throw new Error(`no ${what} in the notebook after ${seconds} s`);
          await sleep(1500);
        }
      };
      // Why BN helps: the loss landscape and gradient predictiveness, a band per run (band fills are drawn at alpha 56/255).
      const [landscape, landscapeFrame] = await scrollUntil(() => {
        const text = /The gradient change ‖.*?\)\./.exec(document.body?.textContent ?? '')?.[0];
        const bandPixels = ['chart-loss-landscape', 'chart-gradient-predictiveness'].map((id) => {
          const canvas = [...document.querySelectorAll(`[data-testid="${id}"]`)].find((h) => !h.parentElement.hidden)?.querySelector('canvas');
          if (!canvas) return undefined;
          const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let band = 0;
          for (let k = 0; k < px.length; k += 4) if (Math.abs(px[k + 3] - 56) <= 3) band++;
          return band;
        });
        return text && bandPixels.every((c) => c !== undefined) ? { text, bandPixels } : undefined;
      }, 1380, 'landscape charts with their findings', 1500);
      console.log(`      landscape charts: band pixels ${landscape.bandPixels}; ${landscape.text}`);
      if (!landscape.bandPixels.every((n) => n > 500) || !/seed with BN .*seed without BN/.test(landscape.text)) throw new Error(`landscape charts: ${JSON.stringify(landscape)}`);
      // The sweep: BN, Ghost BN, GroupNorm and Batch Renorm at batch 2…32, drawn in one chart with a tick per batch size.
      const [sweep, sweepFrame] = await scrollUntil(() => {
        const host = [...document.querySelectorAll('[data-testid="chart-batch-sweep"]')].find((h) => !h.parentElement.hidden && h.querySelector('canvas'));
        const text = /Best at batch 2: .*?\)\./.exec(document.body?.textContent ?? '')?.[0];
        return host && text ? { ticks: host.dataset.xTicks, legend: host.querySelector('.u-legend')?.textContent, text } : undefined;
      }, 180, 'batch-size chart with its findings', -600);
      console.log(`      batch-size chart: x ticks ${sweep.ticks}; legend ${sweep.legend}; ${sweep.text}`);
      if (sweep.ticks !== '2,4,8,16,32' || !/BN.*Ghost BN.*GroupNorm.*Batch Renorm/.test(sweep.legend ?? '')) throw new Error(`batch-size chart: ${JSON.stringify(sweep)}`);
      const [report] = await scrollUntil(() => /recalibrated 2 BN layers[^]*?wrote \S+/.exec(document.body?.textContent ?? '')?.[0], 180, 'recalibration report', -600);
      console.log(`      ${report.replace(/\s+/g, ' ').slice(0, 220)}`);
      if (!/test accuracy \(eval mode\) before \d\.\d{4}, after \d\.\d{4}/.test(report)) throw new Error(`report: ${report}`);
      await page.mouse.wheel(0, -8000);
      for (const [name, theme] of [['dark', 'Default Dark Modern'], ['light', 'Default Light Modern']]) {
        await runCommand(page, 'Preferences: Color Theme', 15_000);
        await page.locator('.quick-input-widget input').fill(theme);
        const row = page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).filter({ hasNotText: 'Browse' }).first();
        await row.waitFor({ timeout: 10_000 });
        await row.click();
        await sleep(1500);
        await shot(`ui-when-bn-fails-${name}.png`);
        const box = await editor.boundingBox();
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.wheel(0, 4000);
        await sleep(1500);
        await shot(`ui-when-bn-fails-recalibrated-${name}.png`);
        await reveal(sweepFrame.locator('[data-testid="chart-batch-sweep"]:visible'));
        await shot(`ui-when-bn-fails-sweep-${name}.png`);
        await reveal(landscapeFrame.locator('[data-testid="chart-gradient-predictiveness"]:visible'));
        await shot(`ui-when-bn-fails-landscape-${name}.png`);
        await page.mouse.wheel(0, -16000);
      }
    });

    await check('with bnLab.backend webgpu typed into settings.json, F1 → "BN Lab: Train" trains in the GPU Runner: the dashboard labels the run webgpu with its adapter, no CPU fallback', async () => {
      // As a user edits the settings: in the editor, saved with Ctrl+S (a rewritten file is not re-read after a window reload).
      await runCommand(page, 'Preferences: Open User Settings (JSON)', 15_000);
      await page.locator('.tab.active', { hasText: 'settings.json' }).waitFor({ timeout: 30_000 });
      await sleep(1000); // the opened editor takes the keyboard focus
      await page.keyboard.press('Control+a');
      await page.keyboard.insertText(userSettings({
        'bnLab.backend': 'webgpu', 'bnLab.model': 'conv(8,3) bn relu maxpool(2) flatten linear(32) bn relu linear',
        'bnLab.dataset': 'synthetic:shapes,n=2000,test=100', 'bnLab.batchSize': 50, 'bnLab.statsInterval': 2, 'bnLab.epochs': 1,
      }));
      await page.keyboard.press('Control+s');
      await sleep(1500);
      await runCommand(page, 'View: Close Editor', 15_000);
      await runCommand(page, 'BN Lab: Train', 30_000);
      await runCommand(page, 'BN Lab: Open Dashboard', 30_000);
      const frame = await findInFrames(page, '#bn-dashboard', 60_000);
      const status = await waitIn(
        frame,
        () => {
          const root = document.getElementById('bn-dashboard');
          const text = root.querySelector('[data-testid="status"]')?.textContent ?? '';
          return /^webgpu \(.*software\)/.test(text) && Number(root.dataset.step) >= 6 && root.querySelectorAll('[data-testid="select-layer"] option').length >= 2 && text;
        },
        undefined,
        240_000,
        'a webgpu run with BN statistics in the dashboard',
      );
      console.log(`      dashboard: ${status}`);
      if (!(await page.locator('.tab', { hasText: 'BN Lab: GPU Runner' }).count())) throw new Error('no "BN Lab: GPU Runner" tab');
      const toasts = await page.locator('.notifications-toasts').textContent().catch(() => '');
      if (/goes on on the CPU|not available/.test(toasts ?? '')) throw new Error(`a CPU-fallback notice: ${toasts}`);
      await shot('ui-dashboard-webgpu.png');
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
