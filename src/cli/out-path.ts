/**
 * Output paths, checked before any work starts so that a bad --out fails at once with its reason:
 * only regular files are replaced (never a device, FIFO or socket; symlinks are written through),
 * and the folder a file goes to is proved writable by creating (and removing) a probe file there.
 */
import { existsSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { META_FILE, WEIGHTS_FILE } from '../engine/checkpoint';
import { UserError } from '../engine/errors';
import { fileKind, makeDirs, writeTarget } from '../engine/fs-paths';
import { UsageError } from './common';

export const METRICS_FILE = 'metrics.jsonl';
/** Files of a run folder (bnlab train --out). */
const RUN_FILES = [WEIGHTS_FILE, META_FILE, METRICS_FILE];

/** Throws unless a file can be written at `path` (it may exist as a regular file, or not yet). */
export function checkOutFile(path: string, flag = '--out'): void {
  if (path.trim() === '') throw new UsageError(`${flag} is empty; give a file name`);
  const target = writeTarget(path);
  const st = existsSync(target) ? statSync(target) : null;
  if (st && !st.isFile()) throw new UserError(`${flag} ${named(path, target)} is a ${fileKind(st)}, not a regular file; give a file name`);
  probeFolder(dirname(target), flag, path);
}

/** Throws unless `path` is (or can become) a folder to write a run in; one holding a run (one of `files`) needs `overwrite`. */
export function checkOutDir(path: string, overwrite: boolean, flag = '--out', files = RUN_FILES): void {
  if (path.trim() === '') throw new UsageError(`${flag} is empty; give a folder`);
  const target = writeTarget(path);
  const st = existsSync(target) ? statSync(target) : null;
  if (st && !st.isDirectory()) throw new UserError(`${flag} ${named(path, target)} is a ${fileKind(st)}, not a folder`);
  const held = st ? files.find((f) => existsSync(join(target, f))) : undefined;
  if (held && !overwrite) throw new UsageError(`${flag} "${path}" already holds a run (${held}); pass --overwrite to replace it, or choose another folder`);
  probeFolder(target, flag, path);
}

function named(path: string, target: string): string {
  return target === resolve(path) ? `"${path}"` : `"${path}" (a link to ${target})`;
}

/** Creates `dir` if missing and a probe file in it, then removes both: every fault surfaces here, before any work. */
function probeFolder(dir: string, flag: string, path: string): void {
  let made: string[] = [];
  try {
    made = makeDirs(dir);
    const probe = join(dir, `.bnlab-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new UserError(`${flag} "${path}": cannot write in ${dir} (${why(e, dir)})`);
  } finally {
    for (const d of made.reverse()) rmdirSync(d);
  }
}

function why(e: unknown, dir: string): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOTDIR': {
      let p = dir;
      while (!existsSync(p)) p = dirname(p);
      return `${p} is a ${fileKind(statSync(p))}, not a folder`;
    }
    case 'ENOENT':
      return 'no folder can be made there';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'disk full';
    default:
      return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}
