// Shared bits of the standalone webview page tests: chromium, VS Code theme variables, checks.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const results = join(root, 'test-results');
const { chromium } = createRequire(join(root, '.ci/e2e/package.json'))('playwright-core');

export const launch = (extraArgs = []) =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });

/** Waits `n` animation frames in the page. */
export const frames = (page, n) =>
  page.evaluate((k) => new Promise((done) => { let i = 0; const f = () => (++i >= k ? done() : requestAnimationFrame(f)); requestAnimationFrame(f); }), n);

export const THEMES = {
  dark: { '--vscode-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-widget-border': '#3c3c3c', '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px', '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#89d185', '--vscode-charts-purple': '#b180d7',
    '--vscode-charts-red': '#f14c4c', '--vscode-charts-yellow': '#cca700', '--vscode-button-background': '#0e639c', '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#3a3d41', '--vscode-button-secondaryForeground': '#ffffff', '--vscode-badge-background': '#4d4d4d', '--vscode-badge-foreground': '#ffffff',
    '--vscode-dropdown-background': '#3c3c3c', '--vscode-dropdown-foreground': '#f0f0f0', '--vscode-errorForeground': '#f48771', background: '#181818' },
  light: { '--vscode-foreground': '#3b3b3b', '--vscode-descriptionForeground': '#717171', '--vscode-widget-border': '#e5e5e5', '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px', '--vscode-charts-blue': '#1a85ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#388a34', '--vscode-charts-purple': '#652d90',
    '--vscode-charts-red': '#e51400', '--vscode-charts-yellow': '#bf8803', '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b', '--vscode-badge-background': '#cccccc', '--vscode-badge-foreground': '#3b3b3b',
    '--vscode-dropdown-background': '#ffffff', '--vscode-dropdown-foreground': '#3b3b3b', '--vscode-errorForeground': '#a1260d', background: '#f8f8f8' },
};
export const themeCss = (name) => Object.entries(THEMES[name]).filter(([k]) => k !== 'background').map(([k, v]) => `${k}: ${v};`).join(' ');

let failed = 0;
export const failures = () => failed;
export async function check(title, fn) {
  try {
    await fn();
    console.log(`  ✓ ${title}`);
  } catch (e) {
    failed++;
    console.log(`  ✗ ${title}\n      ${String(e.stack ?? e).split('\n').slice(0, 6).join('\n      ')}`);
  }
}
export const assert = (ok, message) => {
  if (!ok) throw new Error(message);
};


/**
 * In the page (page.evaluate(chartInk, testid)): what a uPlot chart's canvas shows around its plot area. `labelLuminance`:
 * the mean luminance of the opaque ink left of and below the plot (tick and axis labels); `brightGrey`: opaque light-grey
 * pixels inside the plot (gridlines drawn in a border colour that is white in dark themes); `edgeInk`: opaque pixels of the
 * x axis in the canvas's last two columns (a last tick label cut at the edge, "40" drawn as "4").
 */
export function chartInk(testid) {
  const host = [...document.querySelectorAll(`[data-testid="${testid}"]`)].find((h) => h.querySelector('canvas') && h.offsetParent !== null);
  if (!host) return null;
  const canvas = host.querySelector('canvas');
  const c = canvas.getBoundingClientRect();
  const o = host.querySelector('.u-over').getBoundingClientRect();
  const k = canvas.width / c.width;
  const [x0, y0, x1, y1] = [(o.left - c.left) * k, (o.top - c.top) * k, (o.right - c.left) * k, (o.bottom - c.top) * k];
  const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0, labelPixels = 0, brightGrey = 0, edgeInk = 0;
  for (let y = 0; y < canvas.height; y++)
    for (let x = 0; x < canvas.width; x++) {
      const i = (y * canvas.width + x) * 4;
      const [r, g, b, a] = [px[i], px[i + 1], px[i + 2], px[i + 3]];
      if (a < 200) continue;
      const inPlot = x >= x0 && x < x1 && y >= y0 && y < y1;
      if (!inPlot && (x < x0 || y >= y1)) ((sum += 0.299 * r + 0.587 * g + 0.114 * b), labelPixels++);
      if (inPlot && r > 180 && Math.max(r, g, b) - Math.min(r, g, b) < 24) brightGrey++;
      if (y >= y1 && x >= canvas.width - 2) edgeInk++;
    }
  return { labelLuminance: labelPixels ? Math.round(sum / labelPixels) : 0, labelPixels, brightGrey, edgeInk };
}

/**
 * In the page (page.evaluate(colourBar, testid)): the colour scale at a heatmap canvas's right: a strip of columns,
 * separated from the plot by blank columns, shaded more strongly at the top than at the bottom, with labels beside it.
 */
export function colourBar(testid) {
  const canvas = document.querySelector(`[data-testid="${testid}"]`);
  const { width, height } = canvas;
  const px = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const alpha = (x, y) => px[(y * width + x) * 4 + 3];
  const [top, bottom] = [Math.round(height * 0.25), Math.round(height * 0.7)];
  // A column belongs to the bar when it is painted from the upper to the lower middle rows.
  const solid = (x) => [top, (top + bottom) >> 1, bottom].every((y) => alpha(x, y) > 0);
  const from = Math.round(width * 0.75);
  for (let x = from; x < width - 4; x++) {
    if (!solid(x) || solid(x - 1) || solid(x - 2)) continue;
    let end = x;
    while (end + 1 < width && solid(end + 1)) end++;
    if (end - x < 4 || end - x > 20 || end > width - 6) continue;
    const mid = (x + end) >> 1;
    let labelInk = 0;
    for (let lx = end + 3; lx < width; lx++) for (let y = 0; y < height; y++) if (alpha(lx, y) > 128) labelInk++;
    return { bar: end - x + 1, topAlpha: alpha(mid, top), bottomAlpha: alpha(mid, bottom), labelInk };
  }
  return null;
}
