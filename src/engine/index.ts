/**
 * BN Lab engine — public API (import from 'src/engine'; Node-only checkpoint I/O is in './checkpoint').
 *
 * Build a model from a spec (shapes exclude the batch dimension):
 *   const model = buildModel('conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear(10)',
 *                            { sampleShape: [1, 28, 28], numClasses: 10, seed: 0 });
 *   // presets: buildModel('seed' | 'seed-exact', ...); options.noBn drops bn layers; options.bn = defaults for every bn
 *   // a bare last `linear` gets numClasses outputs; errors are UserError naming layer position, text and shapes
 *   model.layers[i]           // Layer; i == the PyTorch nn.Sequential index (relu/flatten take indices too)
 *                             // classes: Conv2d, BatchNorm, Linear, ReLU, LeakyReLU, Pool2d, Flatten, Dropout, LayerNorm, GroupNorm
 *   model.shapes              // per-sample input shape of each layer, then the output shape
 *   model.describe()          // canonical spec, e.g. "conv(32,5,pad=2) bn relu ... linear(10)" (rebuilds the same model)
 *   model.train() / model.eval(); model.training
 *   const logits = model.forward(x);  // x: Tensor [N, ...sampleShape]; mode = model.training
 *                                     // (outputs live in per-layer buffers reused by the next forward: clone() to keep)
 *   const r = crossEntropy(logits, labels);   // mean loss (nn.CrossEntropyLoss) into r.metrics, dL/dlogits in r.dLogits
 *   lossValues(r) -> { loss, correct }        // on the CPU; any backend: await read(r.metrics)
 *   model.backward(dLogits!);         // writes (not accumulates) every Param.grad
 *   model.params()                    // NamedParam[] { key: '0.weight', layer: 0, param: Param {name, value, grad} }
 *
 * State dict (PyTorch names and layouts; num_batches_tracked is int64 with shape []):
 *   model.stateDict(): StateDict      // Map<string, { tensor: Tensor, dtype: 'float32' | 'int64' }>, live tensors
 *   model.loadStateDict(sd)           // strict; UserError on missing/unexpected keys or shape mismatch
 *   await model.readStateDict()       // host copies, from any backend
 *
 * Backends (backend.ts): setBackend('cpu' | 'webgpu'); model.to(name) moves params and buffers;
 *   tensors of a device backend are read only by `await read(t)`; t.data works for host tensors only.
 *
 * Optimizers (torch.optim 1.13 formulas) and LR schedules (torch.optim.lr_scheduler, closed form):
 *   const opt = new Adam(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });  // params: Param[]
 *   new SGD(params, { lr, momentum, dampening, nesterov, weightDecay }); new AdamW(params, { lr, weightDecay: 0.01 });
 *   opt.step(); opt.lr = x;   // createOptimizer('sgd' | 'adam' | 'adamw', params, config)
 *   new StepLR(baseLr, stepSize, gamma).lrAt(t); new CosineAnnealingLR(baseLr, tMax, etaMin).lrAt(t)
 *
 * safetensors (pure) and checkpoints (checkpoint.ts, Node only):
 *   encodeSafetensors(stateDict, metadata?) -> Uint8Array; decodeSafetensors(bytes, fileName?) -> { tensors, metadata }
 *   saveCheckpoint(dir, model, info) // dir/model.safetensors + dir/model.json (CheckpointMeta), atomic writes
 *   loadCheckpoint(dirOrSafetensorsFile) -> { stateDict, meta | null }; modelFromCheckpoint(dir) -> { model (eval mode), meta }
 *
 * Trainer (pure: no fs, no console; events are plain JSON, see events.ts):
 *   const { done, model } = await train({ dataset, config: TrainConfig, onEvent, signal, saveCheckpoint, initState });
 *   await evaluate(model, split, normalization) -> { loss, accuracy, count }; await predict(model, pixels, count, normalization) -> logits
 *   await collectBnStats(model) / await gradNorms(model) / histogram(values)  (stats.ts)
 *
 * Errors: UserError (errors.ts) = bad input from a user; its message is one clear line.
 */
export { Tensor, sizeOf, shapeToString } from './tensor';
export type { Shape, DType } from './tensor';
export { empty, getBackend, read, readFloats, reuse, setBackend, upload, write, type BackendName } from './backend';
export { lossValues } from './ops';
export { Rng } from './rng';
export * from './layers';
export * from './errors';
export * from './spec';
export * from './model';
export * from './optim';
export * from './schedule';
export * from './safetensors';
export * from './stats';
export * from './trainer';
export type * from './events';
