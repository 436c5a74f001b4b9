/** ExperimentConfig (lab cell / settings) → the engine's TrainConfig. Pure. */
import type { TrainConfig } from '../engine/trainer';
import type { ExperimentConfig } from './config';

export function toTrainConfig(c: ExperimentConfig): TrainConfig {
  const bn = c.bn;
  return {
    spec: c.model,
    ...(c.steps !== null ? { steps: c.steps } : { epochs: c.epochs ?? 1 }),
    batchSize: c.batchSize,
    optimizer: c.optimizer,
    lr: c.lr,
    momentum: c.sgdMomentum,
    weightDecay: c.weightDecay,
    // Keras: moving = moving·m + batch·(1−m), i.e. PyTorch momentum 1−m (the engine keeps both).
    bn: !bn
      ? undefined
      : {
          ...(bn.convention === 'keras' && bn.momentum !== null
            ? { momentum: 1 - bn.momentum, kerasMomentum: bn.momentum, eps: bn.eps, affine: bn.affine, track: bn.trackRunningStats }
            : { momentum: bn.momentum, eps: bn.eps, affine: bn.affine, track: bn.trackRunningStats }),
          ...(bn.ghost !== undefined ? { ghost: bn.ghost } : {}),
          ...(bn.renorm ? { renorm: bn.renorm } : {}),
        },
    noBn: bn === null,
    seed: c.seed,
    shuffle: true,
    statsEvery: c.statsInterval,
    ...(c.dropLast ? { dropLast: true } : {}),
    ...(c.maxMemoryGiB ? { maxMemory: c.maxMemoryGiB * 2 ** 30 } : {}),
  };
}
