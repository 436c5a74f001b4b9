// Bundles the in-host runner (index.ts) and every test/integration/*.test.ts into
// dist-test/integration/ (vscode and mocha stay external: the host provides vscode, mocha
// resolves from the repo's node_modules).
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const outDir = join(here, '..', '..', 'dist-test', 'integration');

export async function buildIntegrationTests() {
  rmSync(outDir, { recursive: true, force: true });
  const entryPoints = ['index.ts', ...readdirSync(here).filter((f) => f.endsWith('.test.ts'))].map((f) => join(here, f));
  await esbuild.build({
    entryPoints, outdir: outDir, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    external: ['vscode', 'mocha'], sourcemap: 'inline', logLevel: 'warning',
  });
  return join(outDir, 'index.js');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildIntegrationTests();
