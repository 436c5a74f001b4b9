/** The parity suite in Node, on Dawn through the npm package `webgpu` (skipped with the reason when it does not load). */
import assert from 'node:assert/strict';
import { initNodeWebGpu } from '../../src/engine/backends/webgpu/node';
import '../../src/engine/ops';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allCases } from './cases';
import { setFixtureLoader } from './parity';

setFixtureLoader(async (file) => new Uint8Array(await readFile(join(__dirname, '..', 'fixtures', 'golden', file))));

describe('webgpu kernels match the cpu backend (Node, Dawn)', function () {
  this.timeout(120_000);
  let unavailable = '';
  before(async () => {
    try {
      await initNodeWebGpu();
    } catch (e) {
      unavailable = e instanceof Error ? e.message : String(e);
    }
  });
  for (const c of allCases) {
    it(c.name, async function () {
      if (unavailable) this.skip();
      const r = await c.run();
      assert.ok(r.ok, `worst relative error ${r.worst} > ${r.tolerance}${r.detail ? ` (${r.detail})` : ''}`);
    });
  }
});
