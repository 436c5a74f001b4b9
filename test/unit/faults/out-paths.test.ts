/**
 * Issue 12, items 1 (and `-` = standard output), 2 and 9 (--out ''; an existing run folder): output
 * paths never damage what they point at, and every bad one fails before any work, in well under a
 * second, with its reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import fc from 'fast-check';
import { UserError } from '../../../src/engine/errors';
import { writeFileAtomic } from '../../../src/engine/checkpoint';
import { idx } from '../data/helpers';
import { bnlab, DATA, ensureBuilt, failsWith, isRoot, removeTempDirs, SPEC, tempDir } from './helpers';

/** What a path is without following it: 'missing', 'file:<text>', 'dir', 'fifo', 'chardev', 'socket', 'link:<target>'. */
function kind(p: string): string {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return 'missing';
  }
  if (st.isSymbolicLink()) return `link:${readlinkSync(p)}`;
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isSocket()) return 'socket';
  if (st.isDirectory()) return 'dir';
  return `file:${readFileSync(p, 'latin1')}`;
}

type Node = 'missing' | 'file' | 'dir' | 'fifo' | 'link-file' | 'link-dir' | 'link-fifo' | 'dangling';
const node = fc.constantFrom<Node>('missing', 'file', 'dir', 'fifo', 'link-file', 'link-dir', 'link-fifo', 'dangling');

/** The oracle: a regular file can be written at `path` when, links followed (dangling ones too), it is missing or a regular file and each folder on the way is a folder (or a link to one) or missing. */
function canHoldFile(path: string): boolean {
  let target = path;
  for (let st = lstatOrNull(target); st?.isSymbolicLink(); st = lstatOrNull(target)) target = resolve(dirname(target), readlinkSync(target));
  if (existsSync(target) && !statSync(target).isFile()) return false;
  for (let d = dirname(target); ; d = dirname(d)) {
    if (existsSync(d)) return statSync(d).isDirectory();
    if (lstatOrNull(d)) return false; // a dangling link where a folder should be
  }
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

describe('faults: output paths (--out)', function () {
  this.timeout(120_000);
  let dir: string, ckpt: string, images: string;
  before(() => {
    ensureBuilt();
    dir = tempDir();
    ckpt = join(dir, 'ckpt');
    const r = bnlab(['train', '--model', SPEC, '--data', DATA, '--steps', '1', '--batch', '20', '--out', ckpt]);
    assert.equal(r.code, 0, r.stderr);
    images = join(dir, 'images.idx');
    writeFileSync(images, idx([3, 28, 28], new Uint8Array(3 * 784).fill(7)));
  });
  after(removeTempDirs);

  const predictTo = (out: string) => bnlab(['predict', '--checkpoint', ckpt, '--input', images, '--out', out]);
  const exportTo = (out: string) => bnlab(['export', '--checkpoint', ckpt, '--out', out, '--no-validate']);

  it('a FIFO is refused, not replaced, by predict and export (it stays a FIFO)', () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const run of [predictTo, exportTo]) {
      const r = run(fifo);
      failsWith(r, 3, /--out ".*pipe" is a FIFO \(named pipe\), not a regular file; give a file name/);
      assert.ok(r.ms < 5000, `took ${r.ms} ms`);
      assert.equal(kind(fifo), 'fifo');
    }
  });

  it('a Unix socket is refused, not replaced, by predict and export (it stays a socket)', async () => {
    const path = join(dir, 'sock');
    const server = createServer();
    await new Promise<void>((res) => server.listen(path, res));
    try {
      for (const run of [predictTo, exportTo]) {
        failsWith(run(path), 3, /--out ".*sock" is a socket, not a regular file; give a file name/);
        assert.equal(kind(path), 'socket');
      }
    } finally {
      server.close();
    }
  });

  it('a character device (mknod in a temp dir, like /dev/null) is refused, not replaced', function () {
    if (!isRoot) this.skip();
    const dev = join(dir, 'null');
    execFileSync('mknod', [dev, 'c', '1', '3']);
    failsWith(predictTo(dev), 3, /--out ".*null" is a character device, not a regular file/);
    failsWith(exportTo(dev), 3, /character device/);
    assert.equal(kind(dev), 'chardev');
    const link = join(dir, 'link-to-null');
    symlinkSync(dev, link);
    failsWith(predictTo(link), 3, /--out ".*link-to-null" \(a link to .*null\) is a character device/);
    assert.equal(kind(link), `link:${dev}`);
    assert.equal(kind(dev), 'chardev');
  });

  it('a symlink is written through (atomically, at its target) and stays a symlink; a dangling one creates its target', () => {
    const target = join(dir, 'real.npy');
    writeFileSync(target, 'old');
    const link = join(dir, 'link.npy');
    symlinkSync('real.npy', link);
    assert.equal(predictTo(link).code, 0);
    assert.equal(kind(link), 'link:real.npy');
    assert.match(readFileSync(target, 'latin1'), /^\x93NUMPY/);
    const dangling = join(dir, 'dangling.onnx');
    symlinkSync(join(dir, 'sub', 'made.onnx'), dangling);
    assert.equal(exportTo(dangling).code, 0);
    assert.equal(kind(dangling), `link:${join(dir, 'sub', 'made.onnx')}`);
    assert.ok(statSync(join(dir, 'sub', 'made.onnx')).size > 0);
  });

  it('paths under /proc fail in under a second with a reason (train, export, predict), instead of spinning forever', () => {
    for (const r of [
      bnlab(['train', '--steps', '2', '--out', '/proc/bnlab-nope'], { timeoutMs: 10_000 }),
      bnlab(['export', '--checkpoint', ckpt, '--out', '/proc/bnlab-nope/m.onnx'], { timeoutMs: 10_000 }),
      bnlab(['predict', '--checkpoint', ckpt, '--input', images, '--out', '/proc/bnlab-nope/x.npy'], { timeoutMs: 10_000 }),
    ]) {
      failsWith(r, 3, /--out "\/proc\/bnlab-nope.*": cannot write in \/proc\/bnlab-nope \(no folder can be made there\)/);
      assert.ok(r.ms < 1000 + 500, `took ${Math.round(r.ms)} ms`); // node's own start-up is ~150 ms of it
    }
    assert.ok(!existsSync('/proc/bnlab-nope'));
  });

  it('predict --out - writes the .npy to standard output (no file named "-"); export refuses it, its report goes there', () => {
    const r = bnlab(['predict', '--checkpoint', ckpt, '--input', images, '--out', '-'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^.NUMPY\x01\x00v\x00\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 10\), \}/);
    assert.equal(kind(join(dir, '-')), 'missing');
    failsWith(bnlab(['export', '--checkpoint', ckpt, '--out', '-', '--no-validate'], { cwd: dir }), 2, /--out - \(standard output\) is for predict; export prints its report there, so give a file name$/);
    assert.equal(kind(join(dir, '-')), 'missing');
  });

  it("--out '' is a usage error (exit 2) for train, export and predict", () => {
    failsWith(bnlab(['train', '--out', '']), 2, /--out.*empty/);
    failsWith(exportTo(''), 2, /--out is empty; give a file name/);
    failsWith(predictTo(''), 2, /--out is empty; give a file name/);
  });

  it('train refuses a folder that already holds a run (metrics.jsonl untouched) unless --overwrite', () => {
    const run = join(dir, 'run');
    const args = ['train', '--model', SPEC, '--data', DATA, '--steps', '1', '--batch', '20', '--out', run];
    assert.equal(bnlab(args).code, 0);
    const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8');
    failsWith(bnlab(args), 2, /--out ".*run" already holds a run \(model\.safetensors\); pass --overwrite to replace it, or choose another folder/);
    assert.equal(readFileSync(join(run, 'metrics.jsonl'), 'utf8'), metrics);
    const r = bnlab([...args, '--overwrite', '--seed', '5']);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(readFileSync(join(run, 'metrics.jsonl'), 'utf8'), metrics);
  });

  it('a file where a folder should be: one line naming it (train --out FILE/sub, export --out FILE/x.onnx)', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    failsWith(bnlab(['train', '--steps', '1', '--out', join(file, 'sub')]), 3, /cannot write in .*plain\/sub \(.*plain is a file, not a folder\)/);
    failsWith(exportTo(join(file, 'x.onnx')), 3, /plain is a file, not a folder/);
    assert.equal(kind(file), 'file:x');
  });

  /** A fresh folder holding a file `f`, a FIFO `p` and a folder `d`, and the path `chain` describes in it. */
  let prop = 0;
  function pathFrom(chain: Node[]): { path: string; watched: string[] } {
    const base = join(dir, `prop-${prop++}`);
    mkdirSync(base);
    writeFileSync(join(base, 'f'), 'keep');
    execFileSync('mkfifo', [join(base, 'p')]);
    mkdirSync(join(base, 'd'));
    // Every element but the last is a path component, the last is the file.
    let p = base;
    const made: string[] = [];
    for (const k of chain) {
      p = join(p, `n${made.length}`);
      made.push(p);
      if (existsSync(p)) continue;
      const parentIsDir = existsSync(join(p, '..')) && statSync(join(p, '..')).isDirectory();
      if (!parentIsDir) break;
      if (k === 'file') writeFileSync(p, 'old');
      else if (k === 'dir') mkdirSync(p);
      else if (k === 'fifo') execFileSync('mkfifo', [p]);
      else if (k === 'link-file') symlinkSync(join(base, 'f'), p);
      else if (k === 'link-dir') symlinkSync(join(base, 'd'), p);
      else if (k === 'link-fifo') symlinkSync(join(base, 'p'), p);
      else if (k === 'dangling') symlinkSync(join(base, 'gone', `t${made.length}`), p);
    }
    return { path: p, watched: [join(base, 'f'), join(base, 'p'), join(base, 'd'), ...made] };
  }

  /** After a write to a path: the real path holds `head`; every link and FIFO watched is still what it was. */
  function landed(path: string, head: RegExp, watched: string[], before: string[]): void {
    assert.match(readFileSync(path, 'latin1'), head);
    watched.forEach((w, i) => {
      if (before[i].startsWith('link:')) assert.equal(kind(w), before[i], `${w} was a link and must stay one`);
      if (before[i] === 'fifo') assert.equal(kind(w), 'fifo');
    });
  }

  it('property: whatever a path holds (files, folders, FIFOs, links, dangling links, nesting), an atomic write either lands in a regular file at its real path or refuses in one line, and never changes what was there', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(node, { minLength: 1, maxLength: 3 }), async (chain) => {
        const { path: p, watched } = pathFrom(chain);
        const before = watched.map(kind);
        try {
          await writeFileAtomic(p, 'new');
        } catch (e) {
          assert.ok(e instanceof UserError || typeof (e as NodeJS.ErrnoException).code === 'string', `unexpected ${e}`);
          assert.equal((e as Error).message.split('\n').length, 1);
          assert.deepEqual(watched.map(kind), before, 'a refused write changed something');
          return;
        }
        landed(p, /^new$/, watched, before);
      }),
      { numRuns: 60, seed: 12 },
    );
  });

  it('property: predict and export with a generated --out write exactly when a regular file can be at its real path (links followed, every folder on the way a folder or missing), else refuse in one line in under a second; nothing else changes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(node, { minLength: 1, maxLength: 3 }), fc.boolean(), async (chain, toOnnx) => {
        const { path: p, watched } = pathFrom(chain);
        const before = watched.map(kind);
        const r = toOnnx ? exportTo(p) : predictTo(p);
        if (!canHoldFile(p)) {
          failsWith(r, 3, /^bnlab: --out ".*"( \(a link to [^)]*\))?(: cannot write in | is a )/);
          assert.ok(r.ms < 1500, `took ${Math.round(r.ms)} ms`);
          assert.deepEqual(watched.map(kind), before, 'a refused --out changed something');
          return;
        }
        assert.equal(r.code, 0, r.stderr);
        landed(p, toOnnx ? /^\x08/ : /^\x93NUMPY/, watched, before);
      }),
      { numRuns: 25, seed: 13 },
    );
  });
});
