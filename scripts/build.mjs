#!/usr/bin/env node
// One build for the extension host, the CLI, the webviews and workers.
//   node scripts/build.mjs              build once (with sourcemaps; .vscodeignore keeps maps out of the vsix)
//   node scripts/build.mjs --watch      rebuild on change
//   node scripts/build.mjs --production minified, no sourcemaps
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const production = args.has('--production');

// webgpu (Dawn, optional) ships a native addon: loaded from node_modules at run time, never bundled.
const node = { platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'webgpu'] };
// The engine's CPU thread pool requires node:worker_threads and node:os only when it runs in Node.
const browser = { platform: 'browser', format: 'iife', target: 'es2022', external: ['node:worker_threads', 'node:os'] };

/** Subdirectories of `dir` that hold `file` (for one-bundle-per-folder entries). */
const foldersWith = (dir, file) =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir), { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(root, dir, d.name, file)))
        .map((d) => d.name)
    : [];
/** `.ts` files (not tests) directly in `dir`. */
const tsFilesIn = (dir) =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    : [];

/** Every bundle, one line each: add entries here. */
const entries = [
  { in: 'src/extension/extension.ts', out: 'dist/extension.js', ...node },
  { in: 'src/cli/main.ts', out: 'dist/cli.js', ...node },
  ...tsFilesIn('src/extension/worker').map((f) => ({ in: `src/extension/worker/${f}`, out: `dist/worker/${f.replace(/\.ts$/, '.js')}`, ...node })),
  ...foldersWith('webview', 'main.ts').map((name) => ({
    in: `webview/${name}/main.ts`,
    out: `dist/webview/${name}.js`,
    ...browser,
    // VS Code imports a notebook renderer as an ES module and calls its exported activate().
    ...(name === 'notebook-renderer' ? { format: 'esm' } : {}),
  })),
];

/**
 * Files copied verbatim into dist/ after bundling (e.g. onnxruntime-web's .wasm files):
 * { from: 'node_modules/…/file.wasm', to: 'dist/…/file.wasm' }. Sources must exist.
 */
const assets = [
  // onnxruntime-web's wasm backend (src/onnx/ort.ts loads them from dist/ort/)
  ...['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'].map((f) => ({ from: `node_modules/onnxruntime-web/dist/${f}`, to: `dist/ort/${f}` })),
];

/** Data files generated before bundling; each script runs only if it exists. */
const generators = ['scripts/build-digits.mjs'];

function runGenerators() {
  for (const script of generators) {
    if (!existsSync(join(root, script))) continue;
    const r = spawnSync(process.execPath, [script], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status ?? r.signal})`);
  }
}

function copyAssets() {
  for (const a of assets) {
    mkdirSync(dirname(join(root, a.to)), { recursive: true });
    cpSync(join(root, a.from), join(root, a.to));
  }
}

function options(e) {
  const { in: entry, out, ...rest } = e;
  return {
    entryPoints: [join(root, entry)],
    outfile: join(root, out),
    bundle: true,
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
    ...rest,
  };
}

async function main() {
  const missing = entries.find((e) => !existsSync(join(root, e.in)));
  if (missing) throw new Error(`build entry ${missing.in} is missing`);
  runGenerators();
  if (watch) {
    for (const e of entries) await (await esbuild.context(options(e))).watch();
    copyAssets();
    console.log(`build: watching ${entries.length} bundles`);
    return;
  }
  await Promise.all(entries.map((e) => esbuild.build(options(e))));
  copyAssets();
  console.log(`build: ${entries.map((e) => e.out).join(', ')}`);
}

main().catch((err) => {
  console.error(`build failed: ${err.message}`);
  process.exit(1);
});
