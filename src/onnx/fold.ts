/**
 * BN folding: an eval-mode BN after a conv or linear is an affine map per output channel,
 *   y = s·(Wx + b) + t,  s = γ/√(running_var + eps),  t = β − running_mean·s,
 * so it folds into W' = s·W (row o scaled by s[o]) and b' = s·b + t. Computed in float64,
 * stored as float32. A BN that cannot be folded stays a BN node; the plan says why.
 */
import { Tensor } from '../engine/tensor';
import type { BnLayer, ConvLayer, ExportLayer, LinearLayer } from './ir';

export interface BnFoldEntry {
  /** Sequential index and label of the BN. */
  index: number;
  label: string;
  folded: boolean;
  /** The conv/linear it was folded into. */
  into?: number;
  intoLabel?: string;
  /** Why it was not folded. */
  reason?: string;
  /** How the BN appears in the ONNX graph. */
  exportedAs: 'folded' | 'BatchNormalization' | 'batch-statistics subgraph';
}

export interface FoldPlan {
  /** The layers to export: folded BNs removed, their producers carrying the folded weights. */
  layers: ExportLayer[];
  bns: BnFoldEntry[];
}

/**
 * Why `bn` cannot be folded into `producer` (the layer whose output it reads), or null if it can.
 * `producerConsumers` counts the nodes reading the producer's output: in a Sequential it is 1, in
 * a general graph a conv output that something else also reads must keep its unfolded value.
 */
export function foldBlocker(producer: ExportLayer | undefined, producerConsumers: number, bn: BnLayer): string | null {
  if (!bn.runningMean || !bn.runningVar) {
    return 'track_running_stats is off: eval mode normalizes with batch statistics, computed at runtime';
  }
  if (!producer) return 'first layer: no conv or linear before it';
  if (producer.op !== 'conv' && producer.op !== 'linear') {
    return `follows ${producer.op} (layer ${producer.index}), not a conv or linear`;
  }
  if (producerConsumers !== 1) {
    return `the output of layer ${producer.index} (${producer.label}) is used ${producerConsumers} times`;
  }
  return null;
}

/** The conv or linear with `bn` (eval mode, running statistics) folded into its weight and bias. */
export function foldBnInto<L extends ConvLayer | LinearLayer>(producer: L, bn: BnLayer): L {
  const { runningMean, runningVar } = bn;
  if (!runningMean || !runningVar) throw new Error(`layer ${bn.index} (${bn.label}) has no running statistics to fold`);
  const w = producer.weight;
  const outs = w.shape[0];
  if (outs !== bn.numFeatures) {
    throw new Error(`layer ${bn.index} (${bn.label}) has ${bn.numFeatures} features but layer ${producer.index} outputs ${outs}`);
  }
  const perOut = w.size / outs;
  const weight = new Float32Array(w.size);
  const bias = new Float32Array(outs);
  for (let o = 0; o < outs; o++) {
    const s = (bn.gamma ? bn.gamma.data[o] : 1) / Math.sqrt(runningVar.data[o] + bn.eps);
    const t = (bn.beta ? bn.beta.data[o] : 0) - runningMean.data[o] * s;
    for (let j = o * perOut; j < (o + 1) * perOut; j++) weight[j] = w.data[j] * s;
    bias[o] = (producer.bias ? producer.bias.data[o] : 0) * s + t;
  }
  return { ...producer, weight: new Tensor(w.shape, weight), bias: new Tensor([outs], bias), foldedBn: bn.index };
}

/** Plans the export of a Sequential: with `fold`, every foldable BN is folded into the layer before it. */
export function planFold(layers: readonly ExportLayer[], fold: boolean): FoldPlan {
  const out: ExportLayer[] = [];
  const bns: BnFoldEntry[] = [];
  layers.forEach((layer, i) => {
    if (layer.op !== 'bn') {
      out.push(layer);
      return;
    }
    const entry = { index: layer.index, label: layer.label };
    const asNode = layer.runningMean ? 'BatchNormalization' : 'batch-statistics subgraph';
    const blocker = foldBlocker(layers[i - 1], 1, layer);
    if (!fold || blocker) {
      bns.push({ ...entry, folded: false, reason: blocker ?? 'folding off', exportedAs: asNode });
      out.push(layer);
      return;
    }
    const producer = out.pop() as ConvLayer | LinearLayer;
    out.push(foldBnInto(producer, layer));
    bns.push({ ...entry, folded: true, into: producer.index, intoLabel: producer.label, exportedAs: 'folded' });
  });
  return { layers: out, bns };
}
