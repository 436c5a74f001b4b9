/**
 * A BN Lab experiment as a self-contained PyTorch training script (pure: model + settings → file texts).
 * train.py builds the same nn.Sequential (state_dict names match BN Lab's checkpoints), the same BN
 * options (the Keras convention as PyTorch's momentum 1 − m), optimizer, schedule, data, normalization
 * and seed; it trains single-process, under torchrun, or self-launched with --spawn N (DDP), and writes
 * a run folder BN Lab opens: metrics.jsonl (the TrainEvent stream) and a checkpoint after each epoch.
 */
import type { Normalization } from '../data/dataset';
import { UserError } from '../engine/errors';
import { BatchNorm } from '../engine/layers/batchnorm';
import { Conv2d } from '../engine/layers/conv';
import type { Layer } from '../engine/layers/layer';
import { Linear } from '../engine/layers/linear';
import { GroupNorm, LayerNorm } from '../engine/layers/norms';
import { Dropout, LeakyReLU, Pool2d } from '../engine/layers/simple';
import type { Sequential } from '../engine/model';
import type { TrainConfig } from '../engine/trainer';
import { TRAIN_PY_BODY } from './train-py';

/** Where train.py reads its data; relative paths are relative to train.py's folder. */
export type ScriptData =
  | { kind: 'idx'; files: string[] }
  | { kind: 'idx-dir'; dir: string }
  | { kind: 'cifar10'; dir: string };

export interface PytorchExport {
  model: Sequential;
  config: TrainConfig;
  normalization: Normalization;
  numClasses: number;
  classNames?: readonly string[];
  /** The data source recorded in the run's model.json (what BN Lab loads to evaluate it). */
  dataset: string;
  data: ScriptData;
  /** model.safetensors lies beside train.py: training starts from those weights. */
  withWeights: boolean;
  bnlabVersion: string;
}

const NL = '\n';

/** Python literal of a JSON-like value. */
export function py(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`py: ${v} has no literal`);
    return String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).map(([k, x]) => `${JSON.stringify(k)}: ${py(x)}`).join(', ')}}`;
}

/** The torch.nn constructor of one built layer; throws for a layer the export does not know. */
function torchLayer(layer: Layer, inShape: readonly number[], at: string): string {
  if (layer instanceof Conv2d) {
    const o = layer.opts;
    return `nn.Conv2d(${layer.inChannels}, ${layer.outChannels}, ${layer.kernel}, stride=${o.stride}, padding=${o.padding}, dilation=${o.dilation}, groups=${o.groups}, bias=${py(o.bias)})`;
  }
  if (layer instanceof BatchNorm) {
    const o = layer.opts;
    return `nn.BatchNorm${layer.dims}d(${layer.numFeatures}, eps=${py(o.eps)}, momentum=${py(o.momentum)}, affine=${py(o.affine)}, track_running_stats=${py(o.track)})`;
  }
  if (layer instanceof Linear) return `nn.Linear(${layer.inFeatures}, ${layer.outFeatures}, bias=${py(layer.hasBias)})`;
  if (layer instanceof Pool2d) return `nn.${layer.kind === 'maxpool' ? 'MaxPool2d' : 'AvgPool2d'}(${layer.size}, stride=${layer.stride}, padding=${layer.padding})`;
  if (layer instanceof LeakyReLU) return `nn.LeakyReLU(${py(layer.slope)})`;
  if (layer instanceof Dropout) return `nn.Dropout(${py(layer.p)})`;
  if (layer instanceof LayerNorm) return `nn.LayerNorm(${py([...inShape])}, eps=${py(layer.eps)}, elementwise_affine=${py(layer.affine)})`;
  if (layer instanceof GroupNorm) {
    if (layer.kind === 'groupnorm') return `nn.GroupNorm(${layer.groups}, ${inShape[0]}, eps=${py(layer.eps)}, affine=${py(layer.affine)})`;
    return `nn.InstanceNorm${inShape.length - 1}d(${inShape[0]}, eps=${py(layer.eps)}, affine=${py(layer.affine)})`;
  }
  if (layer.kind === 'relu') return 'nn.ReLU()';
  if (layer.kind === 'flatten') return 'nn.Flatten()';
  throw new UserError(`${at}: the PyTorch export has no equivalent for "${layer.kind}" layers`);
}

function optimizerLine(c: TrainConfig): string {
  const wd = c.weightDecay ?? (c.optimizer === 'adamw' ? 1e-2 : 0);
  if (c.optimizer === 'sgd') return `torch.optim.SGD(params, lr=lr, momentum=${py(c.momentum ?? 0)}, nesterov=${py(!!c.nesterov)}, weight_decay=${py(wd)})`;
  const [b1, b2] = c.betas ?? [0.9, 0.999];
  return `torch.optim.${c.optimizer === 'adam' ? 'Adam' : 'AdamW'}(params, lr=lr, betas=(${py(b1)}, ${py(b2)}), eps=${py(c.adamEps ?? 1e-8)}, weight_decay=${py(wd)})`;
}

/** torch.optim.lr_scheduler for the config, stepped per epoch or per step (`total` scheduler steps in the run). */
function scheduleLine(c: TrainConfig): string {
  const s = c.schedule;
  if (!s || s.kind === 'none') return 'None';
  if (s.kind === 'step') return `torch.optim.lr_scheduler.StepLR(opt, step_size=${s.stepSize ?? 1}, gamma=${py(s.gamma ?? 0.1)})`;
  return `torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=${s.tMax !== undefined ? s.tMax : 'max(1, total)'}, eta_min=${py(s.etaMin ?? 0)})`;
}

/** train.py and README.md for the experiment. */
export function pytorchScript(x: PytorchExport): { 'train.py': string; 'README.md': string } {
  const { model, config: c } = x;
  const spec = model.describe();
  const words = spec.split(' ');
  const layers = model.layers.map((l, i) => `        ${torchLayer(l, model.shapes[i], `layer ${i + 1} "${words[i]}"`)},  # ${i} ${words[i]}`);
  const frozen = model.layers.flatMap((l, i) => (l instanceof BatchNorm && l.opts.frozen ? [i] : []));
  const experiment = {
    spec,
    sample_shape: [...model.inputShape],
    layer_kinds: model.layers.map((l) => l.kind),
    num_classes: x.numClasses,
    class_names: x.classNames ? [...x.classNames] : undefined,
    normalization: x.normalization,
    dataset: x.dataset,
    seed: c.seed,
    shuffle: c.shuffle,
    epochs: c.steps === undefined ? (c.epochs ?? 1) : undefined,
    steps: c.steps,
    batch: c.batchSize,
    lr: c.lr,
    drop_last: !!c.dropLast,
    stats_every: c.statsEvery ?? 50,
    schedule_per: c.schedule?.per ?? 'epoch',
    training: c,
    bnlab_version: x.bnlabVersion,
  };
  const head = String.raw`#!/usr/bin/env python3
r"""BN Lab experiment "${spec.replace(/"/g, "'")}" on ${x.dataset}, as a PyTorch training script.

Exported by BN Lab ${x.bnlabVersion} (bnlab export --format pytorch). Needs torch and numpy only.

  python3 train.py [--epochs E | --steps S] [--batch B] [--device cpu|cuda] [--out RUNDIR]
  torchrun --nproc_per_node N train.py [...]   # DistributedDataParallel, one process per device
  python3 train.py --spawn N [...]             # the same, self-launched (gloo on CPU, nccl on CUDA)
  ... --sync-bn                                # BN statistics over the global batch (nn.SyncBatchNorm)

RUNDIR gets metrics.jsonl (BN Lab's event stream) and model.safetensors + model.json after each
epoch: open it with "BN Lab: Open Run..." or bnlab eval --checkpoint RUNDIR.
"""
import argparse
import datetime
import gzip
import json
import math
import os
import socket
import struct
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
EXPERIMENT = {
${Object.entries(experiment).filter(([, v]) => v !== undefined).map(([k, v]) => `    ${JSON.stringify(k)}: ${py(v)},`).join(NL)}
}
# Where the data is (relative paths are relative to this file's folder).
DATA = ${py(x.data)}
# The weights training starts from ('' for PyTorch's default init, seeded by EXPERIMENT['seed']).
INIT = ${py(x.withWeights ? 'model.safetensors' : '')}
# BN layers that stay in eval mode while training (BN Lab's bn(frozen)).
FROZEN_BN = ${py(frozen)}


def build_model():
    """The nn.Sequential of BN Lab's spec; its state_dict names are BN Lab's checkpoint names."""
    return nn.Sequential(
${layers.join(NL)}
    )


def make_optimizer(params, lr):
    return ${optimizerLine(c)}


def make_schedule(opt, total):
    """LR schedule, stepped once per EXPERIMENT['schedule_per'] (epoch or step); total = scheduler steps in the run."""
    return ${scheduleLine(c)}
`;
  return { 'train.py': head + TRAIN_PY_BODY, 'README.md': readme(spec, x) };
}

function readme(spec: string, x: PytorchExport): string {
  const run = x.withWeights ? 'starts from the exported weights (model.safetensors; `--init none`: PyTorch\'s default init)' : 'starts from PyTorch\'s default init';
  return `# ${spec} — PyTorch training script

Exported by BN Lab ${x.bnlabVersion}. \`train.py\` needs \`torch\` and \`numpy\` only; it ${run}.

    python3 train.py --out RUNDIR                      # one process
    torchrun --nproc_per_node N train.py --out RUNDIR  # DistributedDataParallel, env:// init
    python3 train.py --spawn N --out RUNDIR            # DDP without torchrun (gloo on CPU, nccl on CUDA)

Flags: \`--epochs\`, \`--steps\`, \`--batch\` (per process), \`--lr\`, \`--device cpu|cuda\`, \`--sync-bn\`,
\`--threads\`, \`--init FILE|none\`, \`--out RUNDIR\`, \`--overwrite\`. \`python3 train.py --help\` lists them.

Data: ${x.data.kind === 'idx' ? x.data.files.join(', ') : x.data.dir} (edit \`DATA\` in train.py if it lives elsewhere).

RUNDIR receives \`metrics.jsonl\` (BN Lab's event stream: steps, loss, accuracy, BN statistics every
${x.config.statsEvery ?? 50} steps) and \`model.safetensors\` + \`model.json\` after every epoch. Open it in VS Code with
**BN Lab: Open Run…**, or evaluate it with \`bnlab eval --checkpoint RUNDIR\`.

Under DDP each process normalizes with the statistics of its own batch (\`--batch\` samples); the
running statistics saved are rank 0's. \`--sync-bn\` turns every BN into \`nn.SyncBatchNorm\`, which
normalizes with the statistics of the global batch (on CUDA; PyTorch 1.13 refuses it on the CPU).
`;
}
