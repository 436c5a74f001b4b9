// Runs inside the VS Code extension host (code-server or @vscode/test-electron): VS Code calls
// `run()` from the bundle named by extensionTestsPath. Every *.test.js bundled next to this file
// runs; results go to the file named by $BNLAB_TEST_RESULTS (console output may not reach us).
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  error?: string;
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec', ...(process.env.BNLAB_GREP ? { grep: process.env.BNLAB_GREP } : {}) });
  for (const f of readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(join(__dirname, f));
  const tests: TestResult[] = [];
  return new Promise((done, fail) => {
    const runner = mocha.run((failures) => {
      const passed = tests.filter((t) => t.state === 'passed').length;
      const failed = tests.filter((t) => t.state === 'failed').length;
      const file = process.env.BNLAB_TEST_RESULTS;
      if (file) {
        writeFileSync(`${file}.tmp`, JSON.stringify({ passed, failed, tests }, null, 2));
        renameSync(`${file}.tmp`, file);
      }
      if (failures > 0) fail(new Error(`${failures} integration test(s) failed`));
      else done();
    });
    runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed' }));
    runner.on('fail', (t, err) => tests.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err) }));
    runner.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
  });
}
