/**
 * One op interface, many backends: every kernel is registered under (backend, kernel name), so a
 * kernel is findable by name in every backend (kernel-names.ts lists the names, ops/kernels.ts
 * their signatures). A backend registers all of them at once: a missing one is a compile error.
 */
import { KERNEL_NAMES } from './kernel-names';
import type { KernelName, KernelSignatures } from './ops/kernels';

export type BackendName = 'cpu' | 'webgpu';

const registry = new Map<BackendName, KernelSignatures>();

/** Registers a backend's kernels; every name of KernelSignatures must be there. */
export function registerKernels(backend: BackendName, kernels: KernelSignatures): void {
  if (registry.has(backend)) throw new Error(`kernels are already registered for backend ${backend}`);
  const missing = KERNEL_NAMES.filter((k) => typeof kernels[k] !== 'function');
  if (missing.length) throw new Error(`backend ${backend} is missing kernels: ${missing.join(', ')}`);
  registry.set(backend, kernels);
}

export function getKernel<K extends KernelName>(backend: BackendName, name: K): KernelSignatures[K] {
  const kernels = registry.get(backend);
  if (!kernels) throw new Error(`kernel ${name} is not registered for backend ${backend}`);
  return kernels[name];
}

export function hasKernel(backend: BackendName, name: KernelName): boolean {
  return registry.get(backend)?.[name] !== undefined;
}

export function listKernels(backend: BackendName): KernelName[] {
  const kernels = registry.get(backend);
  return kernels ? KERNEL_NAMES.filter((k) => kernels[k]) : [];
}
