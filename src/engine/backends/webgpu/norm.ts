/** WGSL kernels: being written (see the parity suite). */
import type { KernelSignatures } from '../../ops/kernels';
import { GpuError } from './context';

const todo = (name: string) => (): never => { throw new GpuError(`webgpu kernel ${name} is not written yet`); };

export const normKernels = {
  BatchNormTrain: todo('BatchNormTrain'),
  BatchNormInfer: todo('BatchNormInfer'),
  BatchNormBackward: todo('BatchNormBackward'),
  GroupNorm: todo('GroupNorm'),
  GroupNormBackward: todo('GroupNormBackward'),
  LayerNorm: todo('LayerNorm'),
  LayerNormBackward: todo('LayerNormBackward'),
} satisfies Partial<KernelSignatures>;
