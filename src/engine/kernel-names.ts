/** Every kernel name, in one place; each backend registers its implementation under these names. */
export const KERNEL_NAMES = [
  'Conv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'Linear',
  'LinearBackward',
  'BatchNormTrain',
  'BatchNormInfer',
  'BatchNormBackward',
  'GroupNorm',
  'GroupNormBackward',
  'LayerNorm',
  'LayerNormBackward',
  'Relu',
  'ReluGrad',
  'LeakyRelu',
  'LeakyReluGrad',
  'MaxPool2D',
  'MaxPool2DGrad',
  'AvgPool2D',
  'AvgPool2DGrad',
  'Dropout',
  'DropoutGrad',
  'SoftmaxCrossEntropy',
  'SoftmaxCrossEntropyGrad',
] as const;

export type KernelName = (typeof KERNEL_NAMES)[number];

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
