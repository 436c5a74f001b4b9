/** The parity suite and `bnlab train --backend webgpu` in Node, on Dawn through the npm package `webgpu` (skipped with the reason when it does not load). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initNodeWebGpu } from '../../src/engine/backends/webgpu/node';
import '../../src/engine/ops';
import { allCases } from './cases';
import { setFixtureLoader } from './parity';

setFixtureLoader(async (file) => new Uint8Array(await readFile(join(__dirname, '..', 'fixtures', 'golden', file))));

describe('webgpu in Node (Dawn)', function () {
  this.timeout(120_000);
  let unavailable = '';
  before(async () => {
    try {
      await initNodeWebGpu();
    } catch (e) {
      unavailable = e instanceof Error ? e.message : String(e);
      console.log(`      skipped: ${unavailable}`);
    }
  });

  describe('kernels match the cpu backend', () => {
    for (const c of allCases) {
      it(c.name, async function () {
        if (unavailable) this.skip();
        const r = await c.run();
        assert.ok(r.ok, `worst relative error ${r.worst} > ${r.tolerance}${r.detail ? ` (${r.detail})` : ''}`);
      });
    }
  });

  it('bnlab train --backend webgpu trains the seed net and its losses track the cpu backend', function () {
    if (unavailable) this.skip();
    const root = resolve(__dirname, '../..');
    const dir = mkdtempSync(join(tmpdir(), 'bnlab-node-gpu-'));
    try {
      const losses = (backend: string) => {
        const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'train', '--backend', backend, '--steps', '4', '--json',
          '--out', join(dir, backend)], { cwd: root, encoding: 'utf8' });
        assert.equal(r.status, 0, `${backend}: exit ${r.status} (signal ${r.signal}): ${r.stderr.slice(-500)}`);
        const steps = readFileSync(join(dir, backend, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'step');
        assert.equal(steps.length, 4, `${backend}: 4 step events`);
        return steps.map((e) => e.loss as number);
      };
      const gpu = losses('webgpu'), cpu = losses('cpu');
      gpu.forEach((l, i) => assert.ok(Math.abs(l - cpu[i]) <= 1e-3 * Math.abs(cpu[i]), `step ${i + 1}: webgpu loss ${l} vs cpu ${cpu[i]}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
