/** The device the webgpu kernels run on (replaced when initWebGpu runs again, e.g. after a device loss). */
import { GpuError, type GpuContext } from './context';

let active: GpuContext | null = null;

export function setActiveContext(ctx: GpuContext): void {
  active = ctx;
}

export function activeContext(): GpuContext {
  if (!active) throw new GpuError('the WebGPU backend is not initialized (call initWebGpu first)');
  return active;
}
