/** The parity suite in a browser page: window.bnlabParity() runs every case on navigator.gpu and returns the results. */
import { initWebGpu } from '../../src/engine/backends/webgpu';
import '../../src/engine/ops';
import { allCases } from './cases';
import { setFixtureLoader, type ParityResult } from './parity';

setFixtureLoader(async (file) => new Uint8Array(await (await fetch(`/fixtures/${file}`)).arrayBuffer()));

declare global {
  interface Window {
    bnlabParity: (filter?: string) => Promise<{ adapter: string; results: (ParityResult & { kernels: string[]; ms: number })[] }>;
  }
}

window.bnlabParity = async (filter) => {
  const ctx = await initWebGpu(navigator.gpu);
  const results = [];
  for (const c of allCases.filter((k) => !filter || k.name.includes(filter))) {
    const t0 = performance.now();
    const r = await c.run();
    results.push({ ...r, kernels: c.kernels, ms: performance.now() - t0 });
  }
  return { adapter: ctx.describe(), results };
};
