/** Every layer class, for code that inspects a built model (stats, ONNX export). */
export type { ForwardContext, Layer, Param, StateBuffer } from './layer';
export { BatchNorm, BN_DEFAULTS, KERAS_BN_DEFAULTS, type BnOptions } from './batchnorm';
export { Conv2d, type ConvOptions } from './conv';
export { Linear } from './linear';
export { GroupNorm, LayerNorm } from './norms';
export { Dropout, Flatten, LeakyReLU, Pool2d, ReLU } from './simple';
