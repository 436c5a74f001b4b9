/**
 * Issue 12, item 8: a full disk (a tiny tmpfs, mounted for the test; root only) is said in words,
 * names the file and the last good checkpoint, ends with a `done` line, and leaves the last
 * checkpoint whole (weights and model.json of the same step) with no temp files behind.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../../src/engine/checkpoint';
import { idx } from '../data/helpers';
import { bnlab, DATA, ensureBuilt, events, failsWith, isRoot, removeTempDirs, root, SPEC, tempDir } from './helpers';

/** Writes zeros to `file` until the disk is full, then frees `spare` bytes. */
function fillDisk(file: string, spare: number): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(4096);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  closeSync(fd);
  execFileSync('truncate', ['-s', String(Math.max(0, written - spare)), file]);
}

describe('faults: disk full', function () {
  this.timeout(120_000);
  let mnt: string, ckpt: string;
  before(function () {
    if (!isRoot) this.skip();
    ensureBuilt();
    const dir = tempDir();
    mnt = join(dir, 'tiny');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch {
      this.skip(); // no mount permission in this container
    }
    ckpt = join(dir, 'ckpt');
    assert.equal(bnlab(['train', '--model', SPEC, '--data', DATA, '--steps', '1', '--batch', '20', '--out', ckpt]).code, 0);
  });
  after(() => {
    if (mnt) spawnSync('umount', [mnt]);
    removeTempDirs();
  });

  it('train: disk full while writing …; the last good checkpoint is … (exit 1, done line, last checkpoint whole)', async () => {
    const out = join(mnt, 'run');
    const child = spawn(process.execPath, [join(root, 'bin', 'bnlab.js'), 'train', '--model', SPEC, '--data', DATA, '--epochs', '100000', '--batch', '20', '--stats-every', '0', '--json', '--out', out], { cwd: root });
    let stdout = '', stderr = '', filled = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!filled && stdout.includes('"type":"checkpoint"')) {
        filled = true;
        fillDisk(join(mnt, 'filler'), 8192);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((res) => child.on('close', res));
    assert.equal(code, 1, stderr);
    assert.match(stderr.trim(), /^bnlab: training failed: disk full while writing .*run\/(model\.safetensors|model\.json|metrics\.jsonl); the last good checkpoint is .*run$/);
    assert.doesNotMatch(stderr, /internal error|ENOSPC/);
    const ev = events(stdout);
    const done = ev.at(-1)!;
    assert.equal(done.type, 'done');
    assert.equal(done.reason, 'failed');
    const lastSaved = ev.filter((e) => e.type === 'checkpoint').at(-1)!;
    const ck = await loadCheckpoint(out);
    assert.equal(ck.meta!.step, lastSaved.step, 'model.json belongs to the last checkpoint written');
    assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), []);
  });

  it('export and predict: disk full while writing FILE (exit 3), nothing left behind', () => {
    fillDisk(join(mnt, 'filler'), 0);
    const images = join(mnt, '..', 'images.idx');
    writeFileSync(images, idx([2, 28, 28], new Uint8Array(2 * 784)));
    failsWith(bnlab(['export', '--checkpoint', ckpt, '--out', join(mnt, 'm.onnx'), '--no-validate']), 3, /^bnlab: disk full while writing .*m\.onnx$/);
    failsWith(bnlab(['predict', '--checkpoint', ckpt, '--input', images, '--out', join(mnt, 'x.npy')]), 3, /^bnlab: disk full while writing .*x\.npy$/);
    assert.deepEqual(readdirSync(mnt).filter((f) => f !== 'filler' && f !== 'run'), []);
    assert.ok(readFileSync(join(ckpt, 'model.json'), 'utf8').length > 0);
  });
});
