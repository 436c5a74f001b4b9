/**
 * Issue 12, item 10: peak memory of the seed net's CLI runs on digits. Measured on the 2-core dev
 * VM: before the fix (427d2da) 30 training steps peaked at 514–543 MB RSS and `eval` at 440 MB;
 * after it, 211–235 and 138–146 MB. The bounds are loose on purpose: they catch a return to
 * whole-split eval buffers, not small drifts; `npm run bench` reports the numbers next to PyTorch's.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bnlab, ensureBuilt, removeTempDirs, tempDir } from './helpers';

/** Peak RSS in MB of `bnlab ARGS` on 2 threads: process.resourceUsage() at exit (worker threads included). */
function peakRssMb(args: string[]): number {
  const dir = tempDir();
  const file = join(dir, 'max-rss-kb');
  const preload = join(dir, 'max-rss.js');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(file)}, String(process.resourceUsage().maxRSS)));\n`);
  const r = bnlab(args, { env: { NODE_OPTIONS: `--require ${preload}`, BNLAB_THREADS: '2' } });
  assert.equal(r.code, 0, r.stderr);
  return Number(readFileSync(file, 'utf8')) / 1024;
}

describe('faults: memory', function () {
  this.timeout(120_000);
  before(ensureBuilt);
  after(removeTempDirs);

  it('the seed net on digits: 30 training steps peak under 400 MB RSS, eval of its checkpoint under 300 MB', () => {
    const run = join(tempDir(), 'run');
    const trainMb = peakRssMb(['train', '--steps', '30', '--out', run, '--json']);
    const evalMb = peakRssMb(['eval', '--checkpoint', run]);
    assert.ok(trainMb < 400, `train peaked at ${Math.round(trainMb)} MB`);
    assert.ok(evalMb < 300, `eval peaked at ${Math.round(evalMb)} MB`);
  });
});
