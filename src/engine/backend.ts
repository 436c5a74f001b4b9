/**
 * The active backend: ops look their kernels up here by name (kernel-registry.ts holds them).
 *   setBackend('cpu'); kernel<F>('Conv2D')(...args)   or   runKernel('Conv2D', ...args)
 */
import { getKernel, hasKernel, type BackendName, type KernelFunc } from './kernel-registry';
import { KERNEL_NAMES, type KernelName } from './kernel-names';

let active: BackendName = 'cpu';

/** Switches every op to `name`; throws if that backend lacks any kernel. */
export function setBackend(name: BackendName): void {
  const missing = KERNEL_NAMES.filter((k) => !hasKernel(name, k));
  if (missing.length > 0) throw new Error(`backend ${name} is missing kernels: ${missing.join(', ')}`);
  active = name;
}

export function getBackend(): BackendName {
  return active;
}

/** The active backend's kernel `name`, typed by the caller. */
export function kernel<F extends KernelFunc>(name: KernelName): F {
  return getKernel(active, name) as F;
}

export function runKernel<R = unknown>(name: KernelName, ...args: unknown[]): R {
  return getKernel(active, name)(...args) as R;
}
