/**
 * BN recalibration ("precise BN"): recompute every BN layer's running statistics with the final
 * weights, as torch.optim.swa_utils.update_bn does: count reset to 0, training batches forwarded in
 * train mode with momentum none (the cumulative average over the batches: the first one, weighted
 * 1/1, replaces the old statistics, so they need no reset of their own),
 * then restore each layer's momentum and the model's mode. Weights are not changed. Frozen BN
 * layers (eval mode inside a training model) keep their statistics.
 */
import { gatherBatch, type Normalization, type Split } from '../data/dataset';
import { uploadInto, write } from './backend';
import { UserError } from './errors';
import { BatchNorm } from './layers/batchnorm';
import type { Sequential } from './model';
import { Rng } from './rng';
import { sizeOf, type Tensor } from './tensor';

/** The BN layers recalibration recomputes: those with running statistics that train in train mode. */
export function recalibratedLayers(model: Sequential): BatchNorm[] {
  return model.layers.filter((l): l is BatchNorm => l instanceof BatchNorm && l.opts.track && !l.opts.frozen);
}

/** update_bn over `batches` (inputs already normalized, on the model's backend); returns the layers recalibrated. */
export function recalibrateBn(model: Sequential, batches: Iterable<Tensor>): BatchNorm[] {
  const layers = recalibratedLayers(model);
  const momenta = layers.map((l) => l.opts.momentum);
  const wasTraining = model.training;
  for (const l of layers) {
    write(l.numBatchesTracked!, new Float32Array(1));
    l.opts.momentum = null;
  }
  try {
    model.train();
    for (const x of batches) model.forward(x);
  } finally {
    layers.forEach((l, i) => (l.opts.momentum = momenta[i]));
    model.training = wasTraining;
  }
  return layers;
}

export interface RecalibrateOptions {
  /** How many training batches to forward (fewer when the split runs out). */
  batches: number;
  batchSize: number;
  /** Seeds the draw of the samples (a shuffled order, without replacement). */
  seed: number;
}

/** update_bn over `o.batches` shuffled batches of `split`; returns the number of batches used. */
export function recalibrateOnSplit(model: Sequential, split: Split, norm: Normalization, o: RecalibrateOptions): number {
  if (!(Number.isInteger(o.batches) && o.batches >= 1)) throw new UserError(`the number of batches must be an integer ≥ 1, got ${o.batches}`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 2)) throw new UserError(`the batch size must be an integer ≥ 2, got ${o.batchSize}`);
  const order = new Rng(o.seed).shuffle(Int32Array.from({ length: split.count }, (_, i) => i));
  const count = Math.min(o.batches, Math.floor(split.count / o.batchSize));
  if (count === 0) throw new UserError(`the training split has ${split.count} samples, fewer than one batch of ${o.batchSize}`);
  const sampleShape = model.inputShape;
  const xbuf = new Float32Array(o.batchSize * sizeOf(sampleShape));
  const labels = new Int32Array(o.batchSize);
  let x: Tensor | undefined;
  function* batches(): Generator<Tensor> {
    for (let b = 0; b < count; b++) {
      gatherBatch(split, sampleShape, order, b * o.batchSize, (b + 1) * o.batchSize, norm, xbuf, labels);
      yield (x = uploadInto(x, [o.batchSize, ...sampleShape], xbuf));
    }
  }
  recalibrateBn(model, batches());
  return count;
}
