/** Reads an engine Sequential (its layers and weights) into the export's layer records. */
import type { Layer } from '../engine/layers/layer';
import { BatchNorm } from '../engine/layers/batchnorm';
import { Conv2d } from '../engine/layers/conv';
import { Linear } from '../engine/layers/linear';
import { GroupNorm, LayerNorm } from '../engine/layers/norms';
import { Dropout, Flatten, LeakyReLU, Pool2d, ReLU } from '../engine/layers/simple';
import { OnnxExportError } from './graph';
import type { ExportLayer, ExportModel } from './ir';

export function toExportLayer(layer: Layer, index: number): ExportLayer {
  const base = { index, label: layer.describe() };
  if (layer instanceof Conv2d) {
    const a = layer.attrs;
    return { ...base, op: 'conv', weight: layer.weight.value, bias: layer.bias?.value ?? null, stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups };
  }
  if (layer instanceof Linear) return { ...base, op: 'linear', weight: layer.weight.value, bias: layer.bias?.value ?? null };
  if (layer instanceof BatchNorm) {
    // Ghost BN and batch renorm infer as plain BN with the running statistics (folded like BN);
    // without running statistics Ghost BN would need its virtual batches at inference.
    if (layer.opts.ghost !== undefined && !layer.opts.track) {
      throw new OnnxExportError(`layer ${index} (${layer.describe()}): Ghost BN without running statistics normalizes over virtual batches at inference, which has no ONNX export; train with track=true`);
    }
    return {
      ...base,
      op: 'bn',
      numFeatures: layer.numFeatures,
      eps: layer.opts.eps,
      gamma: layer.weight?.value ?? null,
      beta: layer.bias?.value ?? null,
      runningMean: layer.opts.track ? layer.runningMean : null,
      runningVar: layer.opts.track ? layer.runningVar : null,
    };
  }
  if (layer instanceof ReLU) return { ...base, op: 'relu' };
  if (layer instanceof LeakyReLU) return { ...base, op: 'leakyrelu', slope: layer.slope };
  if (layer instanceof Pool2d) return { ...base, op: layer.kind, ...layer.attrs };
  if (layer instanceof Flatten) return { ...base, op: 'flatten' };
  if (layer instanceof Dropout) return { ...base, op: 'dropout' };
  if (layer instanceof LayerNorm) return { ...base, op: 'layernorm', groups: 1, eps: layer.eps, gamma: layer.weight?.value ?? null, beta: layer.bias?.value ?? null };
  if (layer instanceof GroupNorm) {
    return { ...base, op: layer.kind, groups: layer.groups, eps: layer.eps, gamma: layer.weight?.value ?? null, beta: layer.bias?.value ?? null };
  }
  throw new OnnxExportError(`layer ${index} (${layer.describe()}): no ONNX export for layer kind "${layer.kind}"`);
}

export function toExportModel(layers: readonly Layer[], spec: string, inputShape: readonly number[]): ExportModel {
  return { spec, inputShape: [...inputShape], layers: layers.map(toExportLayer) };
}
