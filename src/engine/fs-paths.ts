/**
 * Where an output really goes, and making its folders, without the traps of the plain calls:
 * a rename over a symlink replaces the link (so links are followed first), a rename over a device
 * or FIFO replaces the node (so only regular files are replaced), and Node's recursive mkdir
 * spins forever under /proc (so folders are made one level at a time). Node only.
 */
import { existsSync, lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors';

/** What a path is, in words: "folder", "file", "character device", "FIFO", ... */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'folder';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

/** The absolute path a write to `path` lands on: symbolic links followed, dangling ones too. */
export function writeTarget(path: string): string {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    const st = lstatOrNull(p);
    if (!st?.isSymbolicLink()) return p;
    p = resolve(dirname(p), readlinkSync(p));
  }
  throw new UserError(`"${path}": too many levels of symbolic links`);
}

export function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

/** Creates `dir` and its missing parents one level at a time; returns the folders it created, outermost first. */
export function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let p = resolve(dir); !existsSync(p) && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
  for (const m of missing) mkdirSync(m);
  return missing;
}
