/**
 * The WebGPU backend in Node, through the optional npm package `webgpu` (Dawn). Here (no GPU) its
 * OpenGL ES backend on Mesa works with EGL_PLATFORM=surfaceless; on a GPU machine set
 * BNLAB_DAWN_BACKEND=vulkan (or default: Dawn's own choice).
 * Fails with one GpuError line saying why when the package or an adapter is missing.
 */
import { GpuError, type GpuContext } from './context';
import { initWebGpu } from './index';

export interface NodeGpuOptions {
  /** Dawn toggles/backends, e.g. ['backend=opengles']; default: BNLAB_DAWN_BACKEND (vulkan, default = Dawn's choice), else opengles. */
  dawnOptions?: string[];
}

/** Dawn's instance must outlive every device made from it: its event loop keeps polling it, and a collected instance is a use after free. */
let live: { gpu: GPU; compatibility: boolean } | undefined;

/** Dawn's counterpart of navigator.gpu, made once per process; `compatibility`: its adapters need featureLevel 'compatibility' (OpenGL ES). */
export async function nodeGpu(o: NodeGpuOptions = {}): Promise<{ gpu: GPU; compatibility: boolean }> {
  if (live) return live;
  let mod: { create: (options: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    throw new GpuError(`the WebGPU backend for Node needs the npm package "webgpu" (Dawn), which did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  Object.assign(globalThis, mod.globals);
  const backend = process.env.BNLAB_DAWN_BACKEND ?? 'opengles';
  if (backend === 'opengles') process.env.EGL_PLATFORM ??= 'surfaceless';
  live = { gpu: mod.create(o.dawnOptions ?? (backend === 'default' ? [] : [`backend=${backend}`])), compatibility: backend === 'opengles' };
  return live;
}

export async function initNodeWebGpu(o: NodeGpuOptions = {}): Promise<GpuContext> {
  const { gpu, compatibility } = await nodeGpu(o);
  return initWebGpu(gpu, { compatibility });
}
