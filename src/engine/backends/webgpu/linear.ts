/** WGSL kernels: being written (see the parity suite). */
import type { KernelSignatures } from '../../ops/kernels';
import { GpuError } from './context';

const todo = (name: string) => (): never => { throw new GpuError(`webgpu kernel ${name} is not written yet`); };

export const linearKernels = {
  Linear: todo('Linear'),
  LinearBackward: todo('LinearBackward'),
} satisfies Partial<KernelSignatures>;
