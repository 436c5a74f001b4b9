/**
 * Checkpoints round-trip with PyTorch 1.13 both ways (scripts/torch/roundtrip.py, run with Debian's
 * python3-torch). Needs /usr/bin/python3 with torch: without it this FAILS, it does not skip.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const PYTHON = '/usr/bin/python3';

interface RoundTrip {
  direction: string;
  case: string;
  spec: string;
  err: number;
  torch_f32_err: number;
  num_batches_tracked: number[];
}

describe('golden/checkpoint round-trip with PyTorch 1.13', function () {
  this.timeout(600_000);
  let report: { ok: boolean; tol: number; results: RoundTrip[] };

  before(() => {
    const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      assert.fail(
        `${PYTHON} cannot import torch (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}): ` +
          'install Debian\'s python3-torch (`apt-get install -y python3-torch`; `npm test` does this in its setup)',
      );
    }
    const run = spawnSync(PYTHON, [join('scripts', 'torch', 'roundtrip.py'), '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 540_000 });
    const lines = (run.stdout ?? '').trim().split('\n');
    try {
      report = JSON.parse(lines[lines.length - 1]);
    } catch {
      assert.fail(`roundtrip.py failed (exit ${run.status}${run.error ? `, ${run.error.message}` : ''}):\n${run.stdout}\n${run.stderr}`);
    }
    for (const line of lines.slice(0, -1)) console.log(`    ${line}`);
  });

  for (const [direction, what] of [
    ['bnlab->torch', 'BN Lab\'s checkpoint loads with load_state_dict(strict=True) and PyTorch reproduces BN Lab\'s eval logits'],
    ['torch->bnlab', 'PyTorch\'s state_dict (safetensors) loads into BN Lab and `bnlab predict` reproduces PyTorch\'s eval logits'],
  ]) {
    for (const name of ['seed', 'variant']) {
      it(`${direction} ${name}: ${what}`, () => {
        const r = report.results.find((x) => x.direction === direction && x.case === name);
        assert.ok(r, `no ${direction} ${name} result`);
        assert.ok(r.err <= report.tol, `${direction} ${name} (${r.spec}): eval logits differ by ${r.err.toExponential(2)} > ${report.tol}`);
        assert.ok(r.num_batches_tracked.every((n) => n > 0), 'running statistics should come from training');
      });
    }
  }
});
