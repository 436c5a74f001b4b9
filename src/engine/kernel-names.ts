/** Every kernel name, in one place; each backend registers its implementation under these names. */
import type { KernelName } from './ops/kernels';

export type { KernelName };

/** Listed once at run time; `satisfies` keeps the list and KernelSignatures' keys identical. */
const NAMES = {
  Conv2D: 0, Conv2DBackpropInput: 0, Conv2DBackpropFilter: 0, Linear: 0, LinearBackward: 0,
  BatchNormTrain: 0, BatchNormInfer: 0, BatchNormBackward: 0, BatchNormRunningStats: 0, BatchRenormCorrection: 0,
  GroupNorm: 0, GroupNormBackward: 0, LayerNorm: 0, LayerNormBackward: 0,
  Relu: 0, ReluGrad: 0, LeakyRelu: 0, LeakyReluGrad: 0,
  MaxPool2D: 0, MaxPool2DGrad: 0, AvgPool2D: 0, AvgPool2DGrad: 0, Dropout: 0, DropoutGrad: 0,
  SoftmaxCrossEntropy: 0, SoftmaxCrossEntropyGrad: 0, SgdStep: 0, AdamStep: 0,
} satisfies Record<KernelName, 0>;

export const KERNEL_NAMES = Object.keys(NAMES) as KernelName[];

export interface Conv2DAttrs {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

export interface Pool2DAttrs {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}
