/**
 * One op interface, many backends: every kernel is registered under (backend, kernel name),
 * so a kernel is findable by name in every backend (see kernel-names.ts for the names).
 */
import type { KernelName } from './kernel-names';

export type BackendName = 'cpu' | 'webgpu';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelFunc = (...args: any[]) => any;

export interface KernelConfig {
  kernelName: KernelName;
  backendName: BackendName;
  kernelFunc: KernelFunc;
}

const registry = new Map<string, KernelConfig>();
const key = (backend: BackendName, name: KernelName) => `${backend}_${name}`;

export function registerKernel(config: KernelConfig): void {
  const k = key(config.backendName, config.kernelName);
  if (registry.has(k)) throw new Error(`kernel ${config.kernelName} is already registered for backend ${config.backendName}`);
  registry.set(k, config);
}

export function getKernel(backend: BackendName, name: KernelName): KernelFunc {
  const config = registry.get(key(backend, name));
  if (!config) throw new Error(`kernel ${name} is not registered for backend ${backend}`);
  return config.kernelFunc;
}

export function hasKernel(backend: BackendName, name: KernelName): boolean {
  return registry.has(key(backend, name));
}

export function listKernels(backend: BackendName): KernelName[] {
  return [...registry.values()].filter((c) => c.backendName === backend).map((c) => c.kernelName);
}

/** Registers a backend's kernels given as { KernelName: implementation }. */
export function registerKernels(backendName: BackendName, kernels: Partial<Record<KernelName, KernelFunc>>): void {
  for (const [kernelName, kernelFunc] of Object.entries(kernels) as Array<[KernelName, KernelFunc]>) {
    registerKernel({ kernelName, backendName, kernelFunc });
  }
}
