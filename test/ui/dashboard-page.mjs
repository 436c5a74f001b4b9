#!/usr/bin/env node
// Standalone page test of the dashboard webview: bundles webview/dashboard/main.ts (or uses
// dist/webview/dashboard.js with --dist), loads it into a plain chromium page with a strict CSP,
// VS Code's theme variables and an acquireVsCodeApi stand-in, feeds it fake trainer events and
// checks what it draws, what it posts back and what it restores. Screenshots → test-results/.
//   node test/ui/dashboard-page.mjs [--dist]
import * as esbuild from 'esbuild';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fakeRun } from './fake-run.mjs';
import { assert, check, colourBar, failures, launch, results, root, THEMES, themeCss } from './page-kit.mjs';

const work = mkdtempSync(join(tmpdir(), 'bnlab-dash-'));
const script = process.argv.includes('--dist') ? join(root, 'dist/webview/dashboard.js') : join(work, 'dashboard.js');
if (!process.argv.includes('--dist'))
  await esbuild.build({ entryPoints: [join(root, 'webview/dashboard/main.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', outfile: script, logLevel: 'warning' });
const nonce = 'n' + Math.random().toString(36).slice(2);
const page = join(work, 'dashboard.html');
writeFileSync(
  page,
  `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:">
<style nonce="${nonce}">body { margin: 0; padding: 8px 20px; } body.vscode-dark { ${themeCss('dark')} background: ${THEMES.dark.background}; } body.vscode-light { ${themeCss('light')} background: ${THEMES.light.background}; }</style>
<script nonce="${nonce}">
  window.__posted = []; window.__states = []; window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => window.__initialState, setState: (s) => window.__states.push(JSON.stringify(s)) });
  window.__initialState = JSON.parse(window.__savedState || 'null') || undefined;
</script></head>
<body class="vscode-dark"><div id="root"></div><script nonce="${nonce}" src="${pathToFileURL(script)}"></script></body></html>`,
);

mkdirSync(results, { recursive: true });
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 460, height: 1500 }, deviceScaleFactor: 1 });
  const tab = await context.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(e.message));
  tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await tab.goto(pathToFileURL(page).href);
  const posted = () => tab.evaluate(() => window.__posted);
  const send = (msg) => tab.evaluate((m) => window.postMessage(m, '*'), msg);
  const frames = (n) => tab.evaluate((k) => new Promise((done) => { let i = 0; const f = () => (++i >= k ? done() : requestAnimationFrame(f)); requestAnimationFrame(f); }), n);

  await check('starts with the empty state, id bn-dashboard, and posts webview/ready', async () => {
    await tab.waitForFunction(() => window.__posted.length > 0);
    assert((await posted())[0].method === 'webview/ready', `first message: ${JSON.stringify((await posted())[0])}`);
    assert(await tab.isVisible('#bn-dashboard [data-testid="empty"]'), 'empty state not shown');
  });

  const bnRun = fakeRun({ runId: 'bn', bn: true, steps: 60, seed: 1 });
  const plainRun = fakeRun({ runId: 'plain', bn: false, steps: 60, seed: 2 });
  await check('draws two live runs fed in batches (loss, accuracy, BN channels, heatmaps, grad norms)', async () => {
    for (let i = 0; i < 6; i++) {
      const part = (events) => events.filter((e) => e.type === 'start' ? i === 0 : e.step > i * 10 && e.step <= (i + 1) * 10);
      await send({ method: 'run/events', params: { runId: 'bn', label: 'seed with BN', events: part(bnRun) } });
      await send({ method: 'run/events', params: { runId: 'plain', label: 'seed without BN', events: part(plainRun) } });
      await frames(2);
    }
    await send({ method: 'dashboard/status', params: { training: true } });
    await frames(4);
    const info = await tab.evaluate(() => {
      const root = document.getElementById('bn-dashboard');
      const painted = (c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; };
      const chart = (id) => { const c = root.querySelector(`[data-testid="${id}"] canvas`); return c ? painted(c) : -1; };
      return {
        runs: root.dataset.runs, step: root.dataset.step, chips: root.querySelectorAll('[data-testid="run-chip"]').length,
        status: root.querySelector('[data-testid="status"]').textContent,
        loss: chart('chart-loss'), acc: chart('chart-accuracy'), mean: chart('chart-bn-mean'), variance: chart('chart-bn-var'), affine: chart('chart-bn-affine'), grad: chart('chart-grad'),
        before: painted(root.querySelector('[data-testid="heatmap-before"]')), after: painted(root.querySelector('[data-testid="heatmap-after"]')),
        layers: [...root.querySelectorAll('[data-testid="select-layer"] option')].map((o) => o.textContent),
        stopEnabled: !root.querySelector('[data-testid="stop"]').disabled,
      };
    });
    console.log(`      ${JSON.stringify(info)}`);
    assert(info.runs === '2' && info.chips === 2, 'two runs expected');
    assert(/cpu · [\d.]+ steps\/s · step 60\/80/.test(info.status), `status: ${info.status}`);
    for (const k of ['loss', 'acc', 'mean', 'variance', 'affine', 'grad', 'before', 'after']) assert(info[k] > 500, `${k} looks blank (${info[k]} painted pixels)`);
    assert(info.layers.join('|') === 'BN layer 1 (32 ch)|BN layer 6 (128 ch)', `layers: ${info.layers}`);
    assert(info.stopEnabled, 'Stop should be enabled while training');
    await tab.screenshot({ path: join(results, 'dashboard-page-dark.png'), fullPage: true });
  });

  await check('the toolbar posts typed commands', async () => {
    await tab.click('[data-testid="stop"]');
    await tab.click('[data-testid="train"]');
    const last = (await posted()).slice(-2);
    assert(JSON.stringify(last) === JSON.stringify([{ method: 'training/stop', params: {} }, { method: 'command/run', params: { command: 'train' } }]), JSON.stringify(last));
  });

  await check('drops malformed and unknown messages, reports why, and draws nothing from them', async () => {
    const before = (await posted()).length;
    await send({ method: 'run/events', params: { runId: 'evil', label: 'x', events: [{ type: 'step', step: 'NaN' }] } });
    await send({ method: 'eval/js', params: { code: 'alert(1)' } });
    await send('just a string');
    await frames(2);
    const got = (await posted()).slice(before);
    assert(got.length === 3 && got.every((m) => m.method === 'webview/error'), JSON.stringify(got));
    assert(/params\.events\[0\]\.step/.test(got[0].params.message) && /unknown notification method "eval\/js"/.test(got[1].params.message), JSON.stringify(got));
    assert((await tab.evaluate(() => document.getElementById('bn-dashboard').dataset.runs)) === '2', 'a run was added from a bad message');
  });

  await check('selecting the other BN layer and hiding a run redraws', async () => {
    await tab.selectOption('[data-testid="select-layer"]', '6');
    await tab.click('[data-testid="run-chip"][data-run="plain"]');
    await frames(3);
    const hidden = await tab.evaluate(() => document.querySelector('[data-testid="run-chip"][data-run="plain"]').classList.contains('hidden'));
    assert(hidden, 'chip not marked hidden');
    await tab.click('[data-testid="run-chip"][data-run="plain"]');
    // The run without BN is still running but has sent its (empty) BN statistics: say so, not "waiting".
    await tab.selectOption('[data-testid="select-run"]', 'plain');
    // Redraws are throttled (REDRAW_MS): wait for the hint rather than a fixed number of frames.
    await tab.waitForFunction(() => document.querySelector('[data-testid="bn-step"]').textContent === 'this run has no BN layers', undefined, { timeout: 5000 }).catch(() => {});
    const hint = await tab.evaluate(() => document.querySelector('[data-testid="bn-step"]').textContent);
    assert(hint === 'this run has no BN layers', `BN hint for the running no-BN run: ${hint}`);
    await tab.selectOption('[data-testid="select-run"]', 'bn');
    await frames(2);
  });

  await check('switches to the light theme (CSS variables) and redraws', async () => {
    await tab.evaluate(() => (document.body.className = 'vscode-light'));
    await frames(4);
    await tab.screenshot({ path: join(results, 'dashboard-page-light.png'), fullPage: true });
  });

  await check('finishing a run persists state; a reopened page restores it without any message', async () => {
    await send({ method: 'run/events', params: { runId: 'bn', label: 'seed with BN', events: fakeRun({ runId: 'bn', steps: 80, seed: 1, done: true }).filter((e) => e.type !== 'start' && (e.step ?? 0) > 60) } });
    await frames(3);
    const saved = await tab.evaluate(() => window.__states[window.__states.length - 1]);
    assert(saved && JSON.parse(saved).runs.length === 2, 'no state saved');
    assert(JSON.parse(saved).runs[0].status === 'completed', 'done not recorded');
    console.log(`      saved state: ${(saved.length / 1024).toFixed(1)} KiB`);
    // An init script hands the saved state to the reloaded page (sessionStorage raced the reload under load).
    await tab.addInitScript((s) => (window.__savedState = s), saved);
    await tab.reload();
    await tab.waitForFunction(() => document.getElementById('bn-dashboard')?.dataset.runs === '2');
    await frames(3);
    const chips = await tab.evaluate(() => [...document.querySelectorAll('[data-testid="run-chip"]')].map((c) => c.textContent));
    assert(chips.some((c) => c.includes('completed')), `chips: ${chips}`);
    await tab.screenshot({ path: join(results, 'dashboard-page-restored.png'), fullPage: true });
  });

  await check('the run list pins, renames (Enter keeps the name) and deletes a finished run (and tells the host)', async () => {
    await tab.click('[data-testid="run-chip"][data-run="plain"] [data-testid="run-pin"]');
    await tab.click('[data-testid="run-chip"][data-run="bn"] [data-testid="run-rename"]');
    await tab.fill('[data-testid="rename-input"]', 'my BN run');
    await tab.press('[data-testid="rename-input"]', 'Enter');
    await frames(3);
    const chips = await tab.evaluate(() => [...document.querySelectorAll('[data-testid="run-chip"]')].map((c) => [c.dataset.run, c.querySelector('.name').textContent, c.classList.contains('pinned')]));
    assert(JSON.stringify(chips) === JSON.stringify([['bn', 'my BN run', false], ['plain', 'seed without BN', true]]), `chips: ${JSON.stringify(chips)}`);
    assert(await tab.isDisabled('[data-testid="run-chip"][data-run="plain"] [data-testid="run-delete"]'), 'a running run cannot be deleted');
    await tab.click('[data-testid="run-chip"][data-run="bn"] [data-testid="run-delete"]');
    await frames(3);
    assert(JSON.stringify((await posted()).at(-1)) === JSON.stringify({ method: 'dashboard/forget', params: { runId: 'bn' } }), `posted: ${JSON.stringify((await posted()).at(-1))}`);
    assert((await tab.evaluate(() => document.getElementById('bn-dashboard').dataset.runs)) === '1', 'the deleted run is still shown');
  });

  await check('at a side bar\'s width (300 px) in light and dark: charts, colour bars and run list fit', async () => {
    await send({ method: 'run/events', params: { runId: 'bn2', label: 'seed · bn momentum 0.01 · batch 64', seq: 3, events: fakeRun({ runId: 'bn2', steps: 40, seed: 4 }) } });
    // A run named by a custom spec and data source: long words that break nowhere.
    const longLabel = 'conv(8,3) bn relu maxpool(2) flatten linear(32) bn relu linear · synthetic:shapes,n=2000,test=100 · batch 50';
    await send({ method: 'run/events', params: { runId: 'long-name', label: longLabel, seq: 4, events: fakeRun({ runId: 'long-name', steps: 8, totalSteps: 40, done: false, seed: 5 }) } });
    await tab.setViewportSize({ width: 300, height: 1500 });
    await frames(3);
    await tab.selectOption('[data-testid="select-run"]', 'bn2');
    for (const kind of ['light', 'dark']) {
      await tab.evaluate((k) => (document.body.className = `vscode-${k}`), kind);
      await frames(6);
      await new Promise((r) => setTimeout(r, 300));
      await frames(3);
      const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
      const chipsOut = await tab.evaluate(() => [...document.querySelectorAll('[data-testid="run-chip"]')]
        .filter((c) => c.getBoundingClientRect().right > c.parentElement.getBoundingClientRect().right + 0.5).map((c) => c.textContent));
      assert(chipsOut.length === 0, `${kind}: run chips wider than the run list: ${chipsOut}`);
      await tab.screenshot({ path: join(results, `dashboard-page-300-${kind}.png`), fullPage: true });
      const fit = await tab.evaluate(() => {
        const host = (id) => document.querySelector(`[data-testid="${id}"]`);
        const ticks = (id) => ['xTicks', 'yTicks'].map((k) => (host(id).dataset[k] ?? '').split(',').filter(Boolean).length);
        return {
          loss: ticks('chart-loss'), accuracy: ticks('chart-accuracy'),
          // Three runs: the run list names the lines, a legend would be taller than the chart.
          legends: ['chart-loss', 'chart-accuracy'].filter((id) => host(id).querySelector('.u-legend')),
          cutTitles: [...document.querySelectorAll('.u-title')].filter((t) => t.scrollWidth > t.clientWidth + 1).map((t) => t.textContent),
        };
      });
      const bars = {};
      for (const id of ['heatmap-before', 'heatmap-after']) bars[id] = await tab.evaluate(colourBar, id);
      console.log(`      ${kind}: ${JSON.stringify({ ...fit, bars })}`);
      for (const [id, [x, y]] of Object.entries({ loss: fit.loss, accuracy: fit.accuracy })) assert(x >= 3 && y >= 3, `${kind}: the ${id} chart has ${x} x ticks and ${y} y ticks at 300 px`);
      assert(fit.legends.length === 0, `${kind}: legends under ${fit.legends}`);
      assert(fit.cutTitles.length === 0, `${kind}: chart titles cut: ${fit.cutTitles}`);
      for (const [id, bar] of Object.entries(bars))
        assert(bar && bar.topAlpha > bar.bottomAlpha + 60 && bar.labelInk > 15, `${kind}: ${id} has no colour bar with values beside it: ${JSON.stringify(bar)}`);
    }
    await send({ method: 'run/remove', params: { runId: 'long-name' } });
    await tab.setViewportSize({ width: 460, height: 1500 });
  });

  await check('batch vs running and γ vs β keep their colours whichever run is selected; a run is coloured by its number (#3: the third colour)', async () => {
    const markers = async (runId) => {
      await tab.selectOption('[data-testid="select-run"]', runId);
      await tab.waitForTimeout(300); // redraws are throttled
      await frames(3);
      return tab.evaluate(() =>
        Object.fromEntries(['chart-bn-mean', 'chart-bn-var', 'chart-bn-affine'].map((id) => [id, [...document.querySelectorAll(`[data-testid="${id}"] .u-legend .u-series .u-marker`)].map((m) => getComputedStyle(m).borderColor).slice(-2)])),
      );
    };
    const [plain, bn2] = [await markers('plain'), await markers('bn2')];
    console.log(`      ${JSON.stringify({ plain, bn2 })}`);
    assert(JSON.stringify(plain) === JSON.stringify(bn2), `the colours changed with the selected run: ${JSON.stringify({ plain, bn2 })}`);
    const [batch, running] = bn2['chart-bn-mean'];
    assert(batch && running && batch !== running && bn2['chart-bn-var'].join() === bn2['chart-bn-mean'].join(), `batch vs running: ${JSON.stringify(bn2)}`);
    const [gamma, beta] = bn2['chart-bn-affine'];
    assert(gamma && beta && gamma !== beta && ![batch, running].includes(gamma) && ![batch, running].includes(beta), `γ vs β: ${JSON.stringify(bn2)}`);
    const swatch = await tab.evaluate(() => getComputedStyle(document.querySelector('[data-testid="run-chip"][data-run="bn2"] .swatch')).backgroundColor);
    const green = THEMES.dark['--vscode-charts-green'].match(/\w\w/g).map((h) => parseInt(h, 16)).join(', ');
    assert(swatch === `rgb(${green})`, `run #3's swatch is ${swatch}, not the theme's third run colour rgb(${green})`);
  });

  await check('a batch-size sweep is its own group, drawn by epochs, and ends with a summary table', async () => {
    const group = 'comparing Batch size: 16, 64, 256 · from #4';
    for (const [i, b] of [16, 64, 256].entries()) {
      const perEpoch = Math.ceil(8000 / b);
      const events = fakeRun({ runId: `b${b}`, steps: perEpoch, totalSteps: perEpoch, statsInterval: 25, seed: 10 + i, done: true })
        .map((e) => (e.type === 'start' ? { ...e, batchSize: b, stepsPerEpoch: perEpoch } : e));
      await send({ method: 'run/events', params: { runId: `b${b}`, label: `batch ${b}`, seq: 4 + i, group, events } });
    }
    await frames(4);
    await tab.waitForFunction(() => !document.querySelector('[data-testid="sweep-summary"]').hidden, undefined, { timeout: 5000 }).catch(() => {});
    const info = await tab.evaluate(() => ({
      visible: [...document.querySelectorAll('[data-testid="run-chip"]:not(.hidden) .name')].map((n) => n.textContent),
      title: document.querySelector('[data-testid="sweep-title"]').textContent,
      rows: [...document.querySelectorAll('[data-testid="sweep-summary"] tr')].map((r) => [...r.children].map((c) => c.textContent)),
    }));
    console.log(`      ${JSON.stringify(info)}`);
    assert(JSON.stringify(info.visible) === JSON.stringify(['batch 16 · #4', 'batch 64 · #5', 'batch 256 · #6']), `visible runs: ${info.visible}`);
    assert(info.title === group, `summary title: ${info.title}`);
    assert(info.rows.length === 4 && info.rows[0].join('|') === 'run|train acc|test acc|time|steps/s' && info.rows[3][0] === 'batch 256 · #6' && info.rows[3][3] === '0:08', `rows: ${JSON.stringify(info.rows)}`);
    await tab.screenshot({ path: join(results, 'dashboard-page-sweep.png'), fullPage: true });
    // Batch sizes differ: epochs by default (batch 16's 500 steps would swamp batch 256's 32); samples seen on request.
    const axis = () => tab.evaluate(() => ['chart-loss', 'chart-accuracy'].map((id) => { const d = document.querySelector(`[data-testid="${id}"]`).dataset; return `${d.xLabel} ${d.xRange}`; }));
    const byEpoch = await axis();
    assert(byEpoch.every((a) => /^epoch 0\.\d+,1$/.test(a)), `x axes with auto: ${byEpoch}`);
    await tab.selectOption('[data-testid="select-x"]', 'samples');
    await tab.waitForFunction(() => document.querySelector('[data-testid="chart-loss"]').dataset.xLabel === 'samples seen', undefined, { timeout: 5000 }).catch(() => {});
    const bySamples = await axis();
    assert(bySamples.every((a) => /^samples seen \d+,8\d\d\d$/.test(a)), `x axes with samples seen: ${bySamples}`);
    await tab.selectOption('[data-testid="select-x"]', 'auto');
  });

  await check('a BN momentum sweep\'s summary gives each run\'s train − eval mode gap (its latest measurement)', async () => {
    const group = 'comparing BN momentum: 0.1, 0.01, none · from #7';
    const gaps = [];
    for (const [i, momentum] of [0.1, 0.01].entries()) {
      const events = fakeRun({ runId: `m${i}`, steps: 40, totalSteps: 40, statsInterval: 10, momentum, modes: true, seed: 20 + i, done: true });
      const last = events.filter((e) => e.type === 'modes').at(-1);
      gaps.push(`${last.train - last.eval >= 0 ? '+' : ''}${(last.train - last.eval).toFixed(3)}`);
      await send({ method: 'run/events', params: { runId: `m${i}`, label: `momentum ${momentum}`, seq: 7 + i, group, events } });
    }
    await tab.waitForFunction((g) => document.querySelector('[data-testid="sweep-title"]').textContent === g && document.querySelectorAll('[data-testid="sweep-summary"] tr').length === 3, group, { timeout: 5000 }).catch(() => {});
    const rows = await tab.evaluate(() => [...document.querySelectorAll('[data-testid="sweep-summary"] tr')].map((r) => [...r.children].map((c) => c.textContent)));
    console.log(`      ${JSON.stringify(rows)}`);
    assert(rows[0].join('|') === 'run|train acc|test acc|train − eval|time|steps/s', `header: ${rows[0]}`);
    assert(JSON.stringify(rows.slice(1).map((r) => [r[0], r[3], r[4]])) === JSON.stringify([['momentum 0.1 · #7', gaps[0], '0:10'], ['momentum 0.01 · #8', gaps[1], '0:10']]), `rows: ${JSON.stringify(rows)}, gaps ${gaps}`);
    // The table fits a side bar, a narrow one too (in code-server a 300 px side bar left 3 px less than this page did at 300).
    await tab.setViewportSize({ width: 250, height: 1500 });
    await tab.waitForTimeout(400);
    const overflow = await tab.evaluate(() => { const s = document.querySelector('[data-testid="sweep-summary"]'); return s.querySelector('table').getBoundingClientRect().right - s.getBoundingClientRect().right; });
    await tab.locator('[data-testid="sweep-summary"]').screenshot({ path: join(results, 'dashboard-page-sweep-summary-300.png') });
    await tab.setViewportSize({ width: 460, height: 1500 });
    assert(overflow <= 0, `at 250 px the summary table runs ${overflow} px past its section`);
  });

  await check('memory stays bounded on a long run (20,000 steps)', async () => {
    const long = fakeRun({ runId: 'long', steps: 20000, totalSteps: 20000, statsInterval: 50, seed: 3 });
    for (let i = 0; i < long.length; i += 2000) await send({ method: 'run/events', params: { runId: 'long', label: 'long run', events: long.slice(i, i + 2000) } });
    await frames(3);
    await tab.evaluate(() => window.__states.push('flush'));
    await send({ method: 'run/events', params: { runId: 'long', label: 'long run', events: [{ type: 'done', reason: 'completed', step: 20000 }] } });
    await frames(2);
    const saved = JSON.parse(await tab.evaluate(() => window.__states[window.__states.length - 1]));
    const run = saved.runs.find((r) => r.runId === 'long');
    console.log(`      long run kept ${run.trainLoss.step.length} loss points, ${run.hist['1'].before.length} histogram snapshots; state ${(JSON.stringify(saved).length / 1024).toFixed(0)} KiB`);
    assert(run.trainLoss.step.length <= 600 && run.trainLoss.step.length > 300, `loss points: ${run.trainLoss.step.length}`);
    assert(run.trainLoss.step[run.trainLoss.step.length - 1] === 20000, 'latest point lost');
    assert(run.hist['1'].before.length <= 80, 'histograms unbounded');
  });

  await check('Ghost BN\'s virtual batches and batch renorm\'s r and d (latest, and per channel over time) get their own charts, only for the layers that have them', async () => {
    // A page of its own: the runs above stay as the other checks expect them.
    const tab = await context.newPage();
    await tab.goto(pathToFileURL(page).href);
    await tab.waitForFunction(() => window.__posted.length > 0);
    const send = (msg) => tab.evaluate((m) => window.postMessage(m, '*'), msg);
    const frames = (n) => tab.evaluate((k) => new Promise((done) => { let i = 0; const f = () => (++i >= k ? done() : requestAnimationFrame(f)); requestAnimationFrame(f); }), n);
    await send({ method: 'run/events', params: { runId: 'bn', label: 'seed with BN', events: bnRun } });
    for (const variant of ['ghost', 'renorm']) {
      await send({ method: 'run/events', params: { runId: variant, label: `seed ${variant}`, events: fakeRun({ runId: variant, seed: 7, steps: 20, totalSteps: 20, variant, done: true }) } });
    }
    const shown = async (runId) => {
      await tab.selectOption('[data-testid="select-run"]', runId);
      await tab.waitForTimeout(400); // redraws are throttled
      await frames(3);
      return tab.evaluate(() => {
        const root = document.getElementById('bn-dashboard');
        const painted = (c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; };
        const chart = (id) => { const el = root.querySelector(`[data-testid="${id}"]`); const c = el.querySelector('canvas'); return el.hidden ? 'hidden' : c ? painted(c) : -1; };
        const heat = (id) => { const c = root.querySelector(`[data-testid="${id}"]`); return c.hidden ? 'hidden' : painted(c); };
        return { ghost: chart('chart-bn-ghost'), renorm: chart('chart-bn-renorm'), r: heat('heatmap-renorm-r'), d: heat('heatmap-renorm-d') };
      });
    };
    const ghost = await shown('ghost');
    await tab.screenshot({ path: join(results, 'dashboard-page-ghost.png'), fullPage: true });
    const renorm = await shown('renorm');
    await tab.screenshot({ path: join(results, 'dashboard-page-renorm.png'), fullPage: true });
    const plain = await shown('bn');
    console.log(`      ghost run ${JSON.stringify(ghost)}, renorm run ${JSON.stringify(renorm)}, plain BN run ${JSON.stringify(plain)}`);
    assert(ghost.ghost > 500 && ghost.renorm === 'hidden', `ghost run: ${JSON.stringify(ghost)}`);
    assert(renorm.renorm > 500 && renorm.ghost === 'hidden', `renorm run: ${JSON.stringify(renorm)}`);
    // r and d over time: a channel × stats step heatmap each, shaded in every cell (20 steps, 32 channels).
    assert(renorm.r > 20_000 && renorm.d > 20_000 && ghost.r === 'hidden' && ghost.d === 'hidden', `r and d heatmaps: ${JSON.stringify({ renorm, ghost })}`);
    assert(plain.ghost === 'hidden' && plain.renorm === 'hidden' && plain.r === 'hidden', `plain BN run: ${JSON.stringify(plain)}`);
    await tab.close();
  });

  await check('a ninth run forgets the oldest unpinned one and says so; the eight kept have eight colours', async () => {
    const tab = await context.newPage();
    await tab.goto(pathToFileURL(page).href);
    await tab.waitForFunction(() => window.__posted.length > 0);
    const send = (n) => tab.evaluate((m) => window.postMessage(m, '*'), { method: 'run/events', params: { runId: `r${n}`, label: `seed · seed ${n}`, seq: n, events: fakeRun({ runId: `r${n}`, seed: n, steps: 10, totalSteps: 10, statsInterval: 10, done: true }) } });
    for (let n = 1; n <= 8; n++) await send(n);
    await tab.waitForFunction(() => document.querySelectorAll('[data-testid="run-chip"]').length === 8);
    await tab.click('[data-testid="run-chip"][data-run="r1"] [data-testid="run-pin"]');
    await send(9);
    await tab.waitForFunction(() => !document.querySelector('[data-testid="evicted"]').hidden, undefined, { timeout: 5000 }).catch(() => {});
    const info = await tab.evaluate(() => ({
      hint: document.querySelector('[data-testid="evicted"]').hidden ? '' : document.querySelector('[data-testid="evicted"]').textContent,
      chips: [...document.querySelectorAll('[data-testid="run-chip"]')].map((c) => [c.dataset.run, getComputedStyle(c.querySelector('.swatch')).backgroundColor]),
    }));
    console.log(`      ${JSON.stringify(info)}`);
    assert(info.chips.map(([id]) => id).join() === 'r1,r3,r4,r5,r6,r7,r8,r9', `runs kept: ${info.chips.map(([id]) => id)}`);
    assert(info.hint === 'Forgot seed · seed 2 · #2 to keep 8 runs; pin a run to keep it.', `hint: ${info.hint}`);
    assert(new Set(info.chips.map(([, c]) => c)).size === 8, `colours repeat: ${info.chips.map(([, c]) => c)}`);
    await tab.close();
  });

  await check('no CSP violations and no page errors', async () => {
    const violations = await tab.evaluate(() => window.__violations);
    assert(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  });
} finally {
  await browser.close();
}
console.log(failures() ? `dashboard page: ${failures()} failed` : 'dashboard page: all passed');
process.exit(failures() ? 1 : 0);
