/**
 * The WebGPU backend: `await initWebGpu(navigator.gpu)` (or the Node `webgpu` package, node.ts)
 * requests a device, registers the WGSL kernels and the tensor store under 'webgpu', and returns
 * the context; then setBackend('webgpu') / train({ backend: 'webgpu' }).
 */
import { registerStore } from '../../backend';
import { hasKernel, registerKernels } from '../../kernel-registry';
import { GpuContext, GpuError, storageOf } from './context';
import { elementwiseKernels } from './elementwise';
import { convKernels } from './conv';
import { linearKernels } from './linear';
import { lossKernels } from './loss';
import { normKernels } from './norm';
import { poolKernels } from './pool';
import { stateKernels } from './state';
import { activeContext, setActiveContext } from './active';

export { GpuContext, GpuError, storageOf, activeContext };

export interface InitOptions {
  powerPreference?: GPUPowerPreference;
  /** Request a compatibility-mode adapter (Dawn's OpenGL ES backend needs it). */
  compatibility?: boolean;
}

/** Requests an adapter and device and makes them the 'webgpu' backend; throws GpuError with the reason when there is none. */
export async function initWebGpu(gpu: GPU | undefined, o: InitOptions = {}): Promise<GpuContext> {
  if (!gpu) throw new GpuError('WebGPU is not available here (no navigator.gpu)');
  const adapter = await gpu.requestAdapter({ powerPreference: o.powerPreference ?? 'high-performance', ...(o.compatibility ? { featureLevel: 'compatibility' } : {}) } as GPURequestAdapterOptions);
  if (!adapter) throw new GpuError('WebGPU has no adapter here (no GPU, or WebGPU is disabled)');
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBuffersPerShaderStage: Math.min(lim.maxStorageBuffersPerShaderStage, 10),
      maxComputeWorkgroupSizeX: Math.min(lim.maxComputeWorkgroupSizeX, 256),
      maxComputeInvocationsPerWorkgroup: Math.min(lim.maxComputeInvocationsPerWorkgroup, 256),
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
    },
  });
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const vendor = info?.vendor ?? '', architecture = info?.architecture ?? '', deviceName = info?.device ?? '', description = info?.description ?? '';
  const software = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true
    || /swiftshader|llvmpipe|lavapipe|software/i.test(`${vendor} ${architecture} ${deviceName} ${description}`);
  const ctx = new GpuContext(device, { vendor, architecture, device: deviceName, description, software });
  setActiveContext(ctx);
  if (!hasKernel('webgpu', 'Conv2D')) {
    registerKernels('webgpu', {
      ...elementwiseKernels, ...convKernels, ...linearKernels, ...normKernels, ...poolKernels, ...lossKernels, ...stateKernels,
    });
  }
  registerStore('webgpu', {
    empty: (shape, dtype) => activeContext().empty(shape, dtype),
    write: (t, values) => activeContext().write(t, values),
    read: (t) => activeContext().read(t),
    adopt: (t) => activeContext().adopt(t),
    flush: () => activeContext().flush(),
    describe: () => activeContext().describe(),
  });
  return ctx;
}
