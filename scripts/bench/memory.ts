/**
 * Peak RSS (`/usr/bin/time -v`, "Maximum resident set size") of three CLI runs of the seed net next
 * to PyTorch 1.13 doing the same run (scripts/torch/seed_ref.py: 3,000 training samples = 30 steps
 * of batch 100, then the test split in eval mode). Needs dist/ (npm run build). Run by bench.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const FASHION = '/usr/share/datasets/fashion-mnist';

/** Peak RSS of a command that must succeed, e.g. "242 MB", or n/a. */
function measure(cmd: string, args: string[]): string {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { cwd: root, encoding: 'utf8' });
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  return r.status === 0 && m ? `${Math.round(Number(m[1]) / 1024)} MB` : 'n/a';
}

export function memoryBench(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bnlab-bench-mem-'));
  const cli = join(root, 'bin', 'bnlab.js');
  try {
    const rows: [string, string, string][] = [
      ['train digits, 30 steps', measure(process.execPath, [cli, 'train', '--steps', '30', '--out', join(dir, 'd'), '--json']), measure('/usr/bin/python3', ['scripts/torch/seed_ref.py', '--data', 'digits', '--epochs', '1', '--seeds', '0', '--train', '3000', '--threads', '2'])],
      ['eval digits (2,000)', measure(process.execPath, [cli, 'eval', '--checkpoint', join(dir, 'd')]), 'n/a'],
      ['train fashion, 30 steps', measure(process.execPath, [cli, 'train', '--steps', '30', '--data', `fashion-mnist:${FASHION}`, '--out', join(dir, 'f'), '--json']), measure('/usr/bin/python3', ['scripts/torch/seed_ref.py', '--data', 'fashion', '--epochs', '1', '--seeds', '0', '--train', '3000', '--threads', '2'])],
    ];
    console.log('\npeak RSS (/usr/bin/time -v), seed net, batch 100; PyTorch: scripts/torch/seed_ref.py on the first 3,000 training samples');
    console.log('run'.padEnd(26) + 'BN Lab'.padStart(10) + 'PyTorch'.padStart(10));
    for (const [name, ours, torch] of rows) console.log(name.padEnd(26) + ours.padStart(10) + torch.padStart(10));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) memoryBench();
