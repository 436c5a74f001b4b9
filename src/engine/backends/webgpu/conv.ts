/** WGSL kernels: being written (see the parity suite). */
import type { KernelSignatures } from '../../ops/kernels';
import { GpuError } from './context';

const todo = (name: string) => (): never => { throw new GpuError(`webgpu kernel ${name} is not written yet`); };

export const convKernels = {
  Conv2D: todo('Conv2D'),
  Conv2DBackpropInput: todo('Conv2DBackpropInput'),
  Conv2DBackpropFilter: todo('Conv2DBackpropFilter'),
} satisfies Partial<KernelSignatures>;
