/**
 * The export's view of a Sequential model: plain layer records with their weights, one per
 * Sequential index (the index is the PyTorch state_dict prefix, "3.weight"). Shapes exclude N.
 */
import type { Tensor } from '../engine/tensor';

export type Pair = [number, number];

interface Base {
  /** Position in the Sequential (state_dict prefix). */
  index: number;
  /** Human-readable form, e.g. "conv(32,5,pad=2)". */
  label: string;
}

export interface ConvLayer extends Base {
  op: 'conv';
  /** [O, C/groups, kh, kw] */
  weight: Tensor;
  bias: Tensor | null;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  groups: number;
  /** Index of the BN folded into this layer, if any. */
  foldedBn?: number;
}

export interface LinearLayer extends Base {
  op: 'linear';
  /** [O, I] */
  weight: Tensor;
  bias: Tensor | null;
  /** Index of the BN folded into this layer, if any. */
  foldedBn?: number;
}

export interface BnLayer extends Base {
  op: 'bn';
  numFeatures: number;
  eps: number;
  /** null when affine is off. */
  gamma: Tensor | null;
  beta: Tensor | null;
  /** null when track_running_stats is off (eval then uses batch statistics). */
  runningMean: Tensor | null;
  runningVar: Tensor | null;
}

export interface PoolLayer extends Base {
  op: 'maxpool' | 'avgpool';
  kernel: Pair;
  stride: Pair;
  padding: Pair;
}

export interface NormLayer extends Base {
  /** groupnorm: groups of channels; instancenorm: groups = C; layernorm: all non-batch dims. */
  op: 'groupnorm' | 'instancenorm' | 'layernorm';
  groups: number;
  eps: number;
  /** groupnorm/instancenorm: [C]; layernorm: the normalized shape (all non-batch dims). */
  gamma: Tensor | null;
  beta: Tensor | null;
}

export interface SimpleLayer extends Base {
  op: 'relu' | 'flatten' | 'dropout';
}

export interface LeakyReluLayer extends Base {
  op: 'leakyrelu';
  slope: number;
}

export type ExportLayer = ConvLayer | LinearLayer | BnLayer | PoolLayer | NormLayer | SimpleLayer | LeakyReluLayer;

/** A checkpointed model in export form: the layers and the per-sample input shape ([C,H,W] or [F]). */
export interface ExportModel {
  spec: string;
  inputShape: number[];
  layers: ExportLayer[];
}

/** Per-sample output shape of each layer (shapes[i] is the input of layer i; shapes[n] the output). */
export function inferShapes(model: ExportModel): number[][] {
  const shapes: number[][] = [model.inputShape];
  let s = model.inputShape;
  for (const l of model.layers) {
    s = outShape(l, s);
    shapes.push(s);
  }
  return shapes;
}

function outShape(l: ExportLayer, s: number[]): number[] {
  const fail = (what: string): never => {
    throw new Error(`layer ${l.index} (${l.label}): ${what}, input shape [${s.join(', ')}]`);
  };
  switch (l.op) {
    case 'conv': {
      if (s.length !== 3) fail('conv needs a [C,H,W] input');
      const [o, cg, kh, kw] = l.weight.shape;
      if (cg * l.groups !== s[0]) fail(`conv weight expects ${cg * l.groups} input channels`);
      const h = convOut(s[1], kh, l.stride[0], l.padding[0], l.dilation[0]);
      const w = convOut(s[2], kw, l.stride[1], l.padding[1], l.dilation[1]);
      return [o, h, w];
    }
    case 'linear':
      if (s.length !== 1) fail('linear needs a flat [F] input (add flatten)');
      if (l.weight.shape[1] !== s[0]) fail(`linear weight expects ${l.weight.shape[1]} inputs`);
      return [l.weight.shape[0]];
    case 'bn':
      if (s.length < 1 || s.length > 3) fail('bn needs [C], [C,L] or [C,H,W]');
      if (s[0] !== l.numFeatures) fail(`bn has ${l.numFeatures} features`);
      return s;
    case 'maxpool':
    case 'avgpool':
      if (s.length !== 3) fail('pooling needs a [C,H,W] input');
      return [s[0], convOut(s[1], l.kernel[0], l.stride[0], l.padding[0], 1), convOut(s[2], l.kernel[1], l.stride[1], l.padding[1], 1)];
    case 'flatten':
      return [s.reduce((a, b) => a * b, 1)];
    case 'groupnorm':
    case 'instancenorm':
      if (s[0] % l.groups !== 0) fail(`${s[0]} channels do not split into ${l.groups} groups`);
      return s;
    default:
      return s;
  }
}

function convOut(n: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((n + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}
