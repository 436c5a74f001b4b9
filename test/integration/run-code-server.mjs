#!/usr/bin/env node
// Integration tier: runs test/integration/*.test.ts inside a real VS Code extension host
// (code-server, offline) loaded through the workbench URL payload, driven by chromium.
//   node test/integration/run-code-server.mjs [--results file.json]
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, resultsDir, root, startCodeServer, withDeadline, writeResults } from '../harness/code-server.mjs';
import { buildIntegrationTests } from './build.mjs';

const resultsArg = process.argv.indexOf('--results');
const resultsFile = resultsArg > 0 ? process.argv[resultsArg + 1] : undefined;
const timeoutMs = Number(process.env.BNLAB_INTEGRATION_TIMEOUT_S ?? 1200) * 1000;

async function run() {
  const testsIndex = await buildIntegrationTests();
  const inHostResults = join(resultsDir, 'integration-host.json');
  mkdirSync(resultsDir, { recursive: true });
  rmSync(inHostResults, { force: true });
  const server = await startCodeServer({ env: { BNLAB_TEST_RESULTS: inHostResults } });
  let browser;
  let ok = false;
  try {
    browser = await launchBrowser();
    const page = await browser.newPage();
    const consoleLines = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    const exitCode = new Promise((done) => page.exposeFunction('codeAutomationExit', (code) => done(code)));
    await page.goto(server.workbenchUrl({ extensionDevelopmentPath: root, extensionTestsPath: testsIndex }), { timeout: 60_000 });
    let code;
    try {
      code = await withDeadline(exitCode, timeoutMs, 'the extension host test run');
    } catch (e) {
      await page.screenshot({ path: join(resultsDir, 'integration-timeout.png') }).catch(() => {});
      console.error(consoleLines.slice(-40).join('\n'));
      throw e;
    }
    if (!existsSync(inHostResults)) {
      console.error(consoleLines.slice(-40).join('\n'));
      throw new Error(`the extension host exited with ${code} without writing ${inHostResults} (did the extension or test bundle fail to load?)`);
    }
    const results = JSON.parse(readFileSync(inHostResults, 'utf8'));
    for (const t of results.tests) {
      console.log(`  ${t.state === 'passed' ? '✓' : t.state === 'failed' ? '✗' : '-'} ${t.title}`);
      if (t.error) console.log(`      ${t.error.split('\n').slice(0, 6).join('\n      ')}`);
    }
    console.log(`integration (code-server): ${results.passed} passing, ${results.failed} failing, exit code ${code}`);
    writeResults(resultsFile, { passed: results.passed, failed: results.failed + (code !== 0 && results.failed === 0 ? 1 : 0) });
    ok = code === 0 && results.failed === 0;
  } finally {
    await browser?.close().catch(() => {});
    if (!ok) console.error(`code-server log (tail):\n${server.logTail(30)}`);
    await server.stop();
  }
  return ok;
}

run().then(
  (ok) => process.exit(ok ? 0 : 1),
  (e) => {
    console.error(`integration tier failed: ${e.message}`);
    writeResults(resultsFile, { passed: 0, failed: 1, error: e.message });
    process.exit(1);
  },
);
