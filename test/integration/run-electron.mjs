#!/usr/bin/env node
// `npm run test:electron`: the same integration suites under @vscode/test-electron, which
// downloads VS Code (needs internet; on a headless Linux run it under xvfb-run).
//   BNLAB_VSCODE_VERSION=1.100.3 npm run test:electron   (default: stable)
import { runTests } from '@vscode/test-electron';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIntegrationTests } from './build.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'bnlab-electron-'));
const resultsFile = join(work, 'results.json');
let code = 1;
try {
  const extensionTestsPath = await buildIntegrationTests();
  await runTests({
    version: process.env.BNLAB_VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: root,
    extensionTestsPath,
    extensionTestsEnv: { BNLAB_TEST_RESULTS: resultsFile },
    launchArgs: [work, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(work, 'user-data')],
  });
  code = 0;
} catch (e) {
  console.error(`integration (electron) failed: ${e.message ?? e}`);
} finally {
  try {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
    console.log(`integration (electron): ${r.passed} passing, ${r.failed} failing`);
  } catch {
    console.error('integration (electron): no results were written');
    code = 1;
  }
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);
