/**
 * The fault-and-bad-input suite drives the built CLI (node bin/bnlab.js) as a user would: real
 * processes, real files and signals, no mocks. dist/ is rebuilt first when a source file is newer.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(__dirname, '../../..');
const cliBundle = join(root, 'dist', 'cli.js');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ when it is missing or older than src/ (call from a `before` hook). */
export function ensureBuilt(): void {
  if (existsSync(cliBundle) && statSync(cliBundle).mtimeMs >= newest(join(root, 'src'))) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm run build failed:\n${r.stderr}`);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `bnlab ARGS` (the built CLI) to the end, with `env` added to the environment; a hang is killed after `timeoutMs`. */
export function bnlab(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'bin', 'bnlab.js'), ...args], { cwd: opts.cwd ?? root, encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, env: { ...process.env, ...opts.env } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

/** Starts `bnlab ARGS`; `until(stdoutSoFar)` true sends `signal` once; resolves when it exits. */
export function bnlabWithSignal(args: string[], signal: NodeJS.Signals, until: (stdout: string) => boolean, cwd = root): Promise<CliResult> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin', 'bnlab.js'), ...args], { cwd });
  let stdout = '', stderr = '', sent = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    if (!sent && until(stdout)) {
      sent = true;
      child.kill(signal);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((res) => child.on('close', (code, sig) => res({ code, signal: sig, stdout, stderr, ms: performance.now() - t0 })));
}

/** Asserts exit `code` with exactly one `bnlab: ` line on stderr matching `re`, and no stack trace. */
export function failsWith(r: CliResult, code: number, re: RegExp): void {
  assert.equal(r.signal, null, `killed by ${r.signal} (a hang?) after ${Math.round(r.ms)} ms`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /^bnlab: /);
  assert.match(lines[0], re);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr.trim()})`);
}

/** JSON lines of `bnlab ... --json` stdout. */
export function events(stdout: string): { type: string; [k: string]: unknown }[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const temps: string[] = [];
export function tempDir(prefix = 'bnlab-faults-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

export const isRoot = process.getuid?.() === 0;

/** A small, fast run: synthetic images, a spec with BN after a conv and after a linear. */
export const DATA = 'synthetic:shapes,n=60,test=20';
export const SPEC = 'conv(2,3,stride=2) bn relu flatten linear(8) bn relu linear';
