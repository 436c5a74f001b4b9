/** WGSL kernels: being written (see the parity suite). */
import type { KernelSignatures } from '../../ops/kernels';
import { GpuError } from './context';

const todo = (name: string) => (): never => { throw new GpuError(`webgpu kernel ${name} is not written yet`); };

export const poolKernels = {
  MaxPool2D: todo('MaxPool2D'),
  MaxPool2DGrad: todo('MaxPool2DGrad'),
  AvgPool2D: todo('AvgPool2D'),
  AvgPool2DGrad: todo('AvgPool2DGrad'),
  Dropout: todo('Dropout'),
  DropoutGrad: todo('DropoutGrad'),
} satisfies Partial<KernelSignatures>;
