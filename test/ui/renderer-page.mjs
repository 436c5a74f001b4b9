#!/usr/bin/env node
// Standalone page test of the notebook renderer: bundles webview/notebook-renderer/main.ts as an
// ES module, calls its activate() like VS Code does, renders outputs built by the controller's
// RunOutputBuilder from fake events (live: the same element re-rendered), checks and screenshots.
//   node test/ui/renderer-page.mjs [--dist]
import * as esbuild from 'esbuild';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fakeRun } from './fake-run.mjs';
import { assert, chartInk, check, failures, frames, launch, results, root, THEMES, themeCss } from './page-kit.mjs';

const work = mkdtempSync(join(tmpdir(), 'bnlab-renderer-'));
// --dist: the built bundle (dist/webview/notebook-renderer.js), else a fresh one from source.
const rendererJs = process.argv.includes('--dist') ? join(root, 'dist/webview/notebook-renderer.js') : join(work, 'renderer.js');
if (!process.argv.includes('--dist'))
  await esbuild.build({ entryPoints: [join(root, 'webview/notebook-renderer/main.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: rendererJs, logLevel: 'warning' });
await esbuild.build({ entryPoints: [join(root, 'src/lab/run-output.ts')], bundle: true, format: 'esm', platform: 'node', outfile: join(work, 'run-output.mjs'), logLevel: 'warning' });
const { RunOutputBuilder } = await import(pathToFileURL(join(work, 'run-output.mjs')).href);

/** The cell's output after `upTo` steps of each run (what the controller would write). */
function outputAt(upTo, done) {
  const runs = [
    { id: 'bn', label: 'seed with BN', bn: true, seed: 1 },
    { id: 'plain', label: 'seed without BN', bn: false, seed: 2 },
  ].map((r) => {
    const b = new RunOutputBuilder(r.id, r.label);
    for (const e of fakeRun({ runId: r.id, bn: r.bn, seed: r.seed, steps: upTo, done })) b.add(e);
    if (done) b.setModes({ eval: r.bn ? 0.951 : 0.912, train: r.bn ? 0.947 : 0.912 });
    return { out: b.output(), summary: b.summary() };
  });
  return { data: { version: 1, runs: runs.map((r) => r.out) }, summaries: runs.map((r) => r.summary) };
}

const page = join(work, 'renderer.html');
writeFileSync(
  page,
  `<!DOCTYPE html><html><head><meta charset="utf-8"><style>body { margin: 0; padding: 8px 12px; } body.vscode-dark { ${themeCss('dark')} background: ${THEMES.dark.background}; }
body.vscode-light { ${themeCss('light')} background: ${THEMES.light.background}; }</style></head>
<body class="vscode-light"><div id="out"></div><script type="module">
  import { activate } from '${pathToFileURL(rendererJs)}';
  const renderer = activate({ postMessage() {}, onDidReceiveMessage() { return { dispose() {} }; }, workspace: { isTrusted: true } });
  window.show = (data, mime = 'application/vnd.bnlab.run+json') =>
    renderer.renderOutputItem({ id: 'o1', mime, metadata: {}, json: () => (typeof data === 'string' ? JSON.parse(data) : data), text: () => JSON.stringify(data), data: () => new Uint8Array(), blob: () => new Blob() }, document.getElementById('out'));
  window.ready = true;
</script></body></html>`,
);

mkdirSync(results, { recursive: true });
// ES module imports between file:// pages need this flag.
const browser = await launch(['--allow-file-access-from-files']);
try {
  const tab = await (await browser.newContext({ viewport: { width: 1000, height: 560 } })).newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(e.message));
  await tab.goto(pathToFileURL(page).href);
  await tab.waitForFunction(() => window.ready);

  /** Screenshots of the page as it is (light), then in the dark theme. */
  const shotLightAndDark = async (name) => {
    await tab.screenshot({ path: join(results, `notebook-renderer-${name}-light.png`), fullPage: true });
    await tab.evaluate(() => (document.body.className = 'vscode-dark'));
    await frames(tab, 3);
    await tab.screenshot({ path: join(results, `notebook-renderer-${name}-dark.png`), fullPage: true });
  };

  await check('renders curves of both runs and a BN table, updating the same element live', async () => {
    for (const upTo of [10, 30, 60]) {
      await tab.evaluate((d) => window.show(d), outputAt(upTo, false).data);
      await frames(tab, 2);
    }
    const info = await tab.evaluate(() => ({
      outputs: document.querySelectorAll('[data-testid="bnlab-output"]').length,
      canvases: document.querySelectorAll('[data-testid="bnlab-output"] canvas').length,
      rows: [...document.querySelectorAll('[data-testid="bn-table"] tr')].map((r) => r.textContent),
      runs: [...document.querySelectorAll('[data-testid="run"]')].map((r) => r.textContent),
    }));
    console.log(`      ${JSON.stringify(info)}`);
    assert(info.outputs === 1, 'the element was not reused');
    assert(info.canvases === 2, `canvases: ${info.canvases}`);
    assert(info.rows.length === 4 && /^seed with BN1 *32/.test(info.rows[1]) && /no BN layers/.test(info.rows[3]), `rows: ${info.rows}`);
    assert(info.runs[0].includes('step 60/80'), `runs: ${info.runs}`);
  });

  await check('a finished cell shows the eval vs train mode table', async () => {
    const { data, summaries } = outputAt(80, true);
    await tab.evaluate((d) => window.show(d), data);
    await frames(tab, 2);
    const modes = await tab.evaluate(() => [...document.querySelectorAll('[data-testid="summary-table"] tr')].map((r) => [...r.children].map((c) => c.textContent)));
    console.log(`      summary table: ${JSON.stringify(modes)}`);
    assert(modes.length === 3 && modes[0].join('|') === 'run|steps|final loss|train acc|test accuracy|test acc, BN eval mode (running stats)|BN train mode (batch stats)|train − eval|time|steps/s', `header: ${modes[0]}`);
    assert(modes[1].slice(5, 9).join('|') === '0.951|0.947|-0.004|0:20' && /^0\.\d{3}$/.test(modes[1][3]), `row: ${modes[1]}`);
    console.log(`      text summary: ${summaries.join(' | ')}`);
    assert(/^seed with BN: completed, step 80\/80, loss [\d.]+, test accuracy [\d.]+, BN eval mode 0.951 vs train mode 0.947/.test(summaries[0]), summaries[0]);
    await tab.screenshot({ path: join(results, 'notebook-renderer-page-light.png'), fullPage: true });
  });

  await check('a finished output follows a theme switch (light → dark): tick labels in the foreground, faint gridlines, the last x tick whole', async () => {
    /** What the loss and test accuracy charts' canvases show (page-kit chartInk). */
    const ink = async () => ({ loss: await tab.evaluate(chartInk, 'chart-loss'), accuracy: await tab.evaluate(chartInk, 'chart-test-accuracy') });
    const light = await ink();
    await tab.evaluate(() => (document.body.className = 'vscode-dark'));
    await frames(tab, 3);
    const dark = await ink();
    await tab.screenshot({ path: join(results, 'notebook-renderer-page-dark.png'), fullPage: true });
    console.log(`      light ${JSON.stringify(light)}\n      dark ${JSON.stringify(dark)}`);
    // Luminance of the foregrounds: light #3b3b3b ≈ 59, dark #cccccc ≈ 204.
    for (const [id, c] of Object.entries(light)) assert(c.labelPixels > 50 && c.labelLuminance < 110, `light, ${id}: tick labels ${JSON.stringify(c)}`);
    for (const [id, c] of Object.entries(dark)) {
      assert(c.labelPixels > 50 && c.labelLuminance > 150, `dark, ${id}: tick labels too faint ${JSON.stringify(c)}`);
      assert(c.brightGrey < 40, `dark, ${id}: light-grey gridlines ${JSON.stringify(c)}`);
    }
    for (const [id, c] of [...Object.entries(light), ...Object.entries(dark)]) assert(c.edgeInk === 0, `${id}: the last x tick label is cut at the chart's edge ${JSON.stringify(c)}`);
  });

  await check('a run is coloured by its number in the session, as in the dashboard (#3: the third colour; #13: the third colour dashed, its swatch a dashed ring)', async () => {
    const runs = [3, 13].map((seq) => {
      const b = new RunOutputBuilder(`r${seq}`, 'seed', seq);
      for (const e of fakeRun({ runId: `r${seq}`, seed: seq, steps: 20, totalSteps: 20, done: true })) b.add(e);
      return b.output();
    });
    await tab.evaluate((d) => window.show(d), { version: 1, runs });
    await frames(tab, 2);
    const shown = await tab.evaluate(() =>
      [...document.querySelectorAll('[data-testid="run"]')].map((r) => { const s = getComputedStyle(r.querySelector('.swatch')); return [r.textContent.split('completed')[0], s.borderTopStyle === 'dashed' ? `dashed ${s.borderTopColor}` : s.backgroundColor]; }),
    );
    const green = `rgb(${THEMES.dark['--vscode-charts-green'].match(/\w\w/g).map((h) => parseInt(h, 16)).join(', ')})`;
    assert(JSON.stringify(shown) === JSON.stringify([['seed · #3', green], ['seed · #13', `dashed ${green}`]]), `runs: ${JSON.stringify(shown)}, the third run colour is ${green}`);
  });

  await check('a cell with eval_modes draws BN eval vs train mode over the run; every axis holds its points', async () => {
    await tab.evaluate(() => (document.body.className = 'vscode-light'));
    const runs = [0.1, 0.01].map((momentum, i) => {
      const b = new RunOutputBuilder(`m${i}`, `momentum ${momentum}`);
      for (const e of fakeRun({ runId: `m${i}`, seed: 1, momentum, steps: 80, done: true, modes: true })) b.add(e);
      return b.output();
    });
    await tab.evaluate((d) => window.show(d), { version: 1, runs });
    await frames(tab, 3);
    const info = await tab.evaluate(() => {
      const host = (id) => document.querySelector(`[data-testid="${id}"]`);
      const axes = (id) => ({ x: host(id).dataset.xRange, y: (host(id).dataset.yTicks ?? '').split(',').filter(Boolean).map(Number) });
      return {
        modesShown: !host('chart-bn-modes').parentElement.hidden && !!host('chart-bn-modes').querySelector('canvas'),
        caption: host('chart-bn-modes').parentElement.textContent,
        loss: axes('chart-loss'), accuracy: axes('chart-test-accuracy'), modes: axes('chart-bn-modes'),
        // Each chart's box, in order: the charts made room for the third.
        boxes: ['chart-loss', 'chart-test-accuracy', 'chart-bn-modes'].map((id) => { const r = host(id).querySelector('.uplot').getBoundingClientRect(); return { top: r.top, left: r.left, right: r.right }; }),
      };
    });
    console.log(`      ${JSON.stringify(info)}`);
    assert(info.modesShown, 'no eval vs train mode chart');
    const overlap = info.boxes.some((b, i) => i > 0 && b.top === info.boxes[i - 1].top && b.left < info.boxes[i - 1].right);
    assert(!overlap, `charts overlap: ${JSON.stringify(info.boxes)}`);
    assert(/first 500 test samples at every stats step/.test(info.caption), `caption: ${info.caption}`);
    // A single evaluation per run must not stretch the x axis: it spans the run's steps.
    assert(info.accuracy.x === '0,80' && info.modes.x === '0,80', `x ranges: ${info.accuracy.x}, ${info.modes.x}`);
    const within = (ticks, values, what) => {
      const [lo, hi] = [Math.min(...values), Math.max(...values)];
      assert(ticks.length >= 2 && ticks[0] <= lo && ticks.at(-1) >= hi, `${what}: points ${lo.toFixed(3)}…${hi.toFixed(3)} outside the ticks ${ticks}`);
    };
    within(info.loss.y, runs.flatMap((r) => r.trainLoss.value), 'loss');
    within(info.modes.y, runs.flatMap((r) => [...r.modesCurve.eval.value, ...r.modesCurve.train.value]), 'eval vs train mode');
    await shotLightAndDark('modes');
  });

  await check('a sweep cell draws test accuracy vs batch size, log x with a tick per batch size, a line per normalization', async () => {
    await tab.evaluate(() => (document.body.className = 'vscode-light'));
    const runs = ['BN', 'GroupNorm'].flatMap((series, i) =>
      [2, 8, 32].map((batch) => {
        // The same 1280 samples per run: 640 steps of 2 … 40 of 32 (fake events evaluate every 20 steps).
        const b = new RunOutputBuilder(`${series}${batch}`, `${series} · batch ${batch}`, undefined, { series, batch });
        for (const e of fakeRun({ runId: `${series}${batch}`, seed: 1 + i + batch, steps: 1280 / batch, totalSteps: 1280 / batch, done: true })) b.add(e);
        return b.output();
      }),
    );
    await tab.evaluate((d) => window.show(d), { version: 1, runs });
    await frames(tab, 3);
    const info = await tab.evaluate(() => {
      const host = document.querySelector('[data-testid="chart-batch-sweep"]');
      return {
        shown: !host.parentElement.hidden && !!host.querySelector('canvas'),
        x: host.dataset.xRange,
        xTicks: host.dataset.xTicks,
        legend: [...host.querySelectorAll('.u-legend .u-series')].map((e) => e.textContent.trim()),
        caption: host.parentElement.querySelector('.caption').textContent,
        lossX: document.querySelector('[data-testid="chart-loss"]').dataset.xLabel,
        lossRange: document.querySelector('[data-testid="chart-loss"]').dataset.xRange,
      };
    });
    console.log(`      ${JSON.stringify(info)}`);
    assert(info.shown, 'no batch-size chart');
    // Batch 2 takes 16× the steps of batch 32 on the same samples: the loss is drawn by samples seen, so all runs span the same x.
    assert(info.lossX === 'samples seen' && /,1280$/.test(info.lossRange ?? ''), `loss chart x: ${info.lossX} over ${info.lossRange}`);
    assert(info.xTicks === '2,8,32', `x ticks: ${info.xTicks} (range ${info.x})`);
    assert(info.legend.join('|').includes('BN') && info.legend.join('|').includes('GroupNorm'), `legend: ${info.legend}`);
    assert(/each run trained on 1280 samples \(steps × batch\)/.test(info.caption), `caption: ${info.caption}`);
    await shotLightAndDark('sweep');
  });

  await check('a landscape cell draws the loss landscape and gradient predictiveness as a band per run, with captions', async () => {
    await tab.evaluate(() => (document.body.className = 'vscode-light'));
    const runs = [true, false].map((bn, i) => {
      const b = new RunOutputBuilder(`l${i}`, bn ? 'seed with BN' : 'seed without BN', i + 1);
      for (const e of fakeRun({ runId: `l${i}`, bn, seed: 1, steps: 80, statsInterval: 10, done: true, landscape: true })) b.add(e);
      return b.output();
    });
    await tab.evaluate((d) => window.show(d), { version: 1, runs });
    await frames(tab, 3);
    const info = await tab.evaluate(() =>
      ['chart-loss-landscape', 'chart-gradient-predictiveness'].map((id) => {
        const host = document.querySelector(`[data-testid="${id}"]`);
        const canvas = host.querySelector('canvas');
        // Band fills are the run colours at alpha 0.22 (56/255): count the pixels drawn with that alpha.
        const ctx = canvas && canvas.getContext('2d');
        const px = ctx ? ctx.getImageData(0, 0, canvas.width, canvas.height).data : [];
        let tinted = 0;
        for (let k = 0; k < px.length; k += 4) if (Math.abs(px[k + 3] - 56) <= 3) tinted++;
        return { shown: !host.parentElement.hidden && !!canvas, x: host.dataset.xRange, caption: host.parentElement.querySelector('.caption').textContent, tinted };
      }),
    );
    console.log(`      ${JSON.stringify(info)}`);
    for (const [i, c] of info.entries()) {
      assert(c.shown, `chart ${i} not shown`);
      assert(c.x === '0,80', `chart ${i} x range ${c.x}`);
      assert(c.tinted > 500, `chart ${i}: no band fill (${c.tinted} translucent pixels)`);
      assert(/step sizes η 0.05, 0.1, 0.2, 0.4 · on the first 100 training samples at every stats step/.test(c.caption), `caption: ${c.caption}`);
    }
    assert(/band: min–max over η of the loss L\(w − ηg\)/.test(info[0].caption) && /gradient changes along g/.test(info[1].caption), 'captions');
    await shotLightAndDark('landscape');
    await tab.evaluate(() => (document.body.className = 'vscode-light'));
    await tab.evaluate((d) => window.show(d), outputAt(80, true).data);
    await frames(tab, 2);
    const hidden = await tab.evaluate(() => document.querySelector('[data-testid="chart-loss-landscape"]').parentElement.hidden);
    assert(hidden, 'a cell without landscape shows the landscape chart');
  });

  await check('an invalid output shows its reason instead of drawing', async () => {
    await tab.evaluate(() => window.show({ version: 1, runs: [{ runId: 'x' }] }));
    const text = await tab.textContent('#out');
    assert(/invalid BN Lab output at runs\.0\.label/.test(text), text);
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  });
} finally {
  await browser.close();
}
console.log(failures() ? `renderer page: ${failures()} failed` : 'renderer page: all passed');
process.exit(failures() ? 1 : 0);
