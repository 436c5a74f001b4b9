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

