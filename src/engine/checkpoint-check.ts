/**
 * What makes a checkpoint good: every tensor finite, every BN running variance ≥ 0 (checked on
 * load), and an eval-mode forward pass on test samples that stays finite (checked before saving).
 */
import type { Normalization, Split } from '../data/dataset';
import { UserError } from './errors';
import type { Sequential, StateDict } from './model';
import { predict } from './trainer';

/** Throws a UserError naming the first tensor of `sd` that holds NaN/±Inf or a negative running_var. */
export function checkStateDict(sd: StateDict, file: string): void {
  for (const [name, { tensor }] of sd) {
    const d = tensor.data;
    let bad = 0, first = -1;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) {
        bad++;
        if (first < 0) first = i;
      }
    }
    if (bad) throw new UserError(`${file}: tensor ${name} holds ${d[first]} at index ${first} (${bad} of ${d.length} values are not finite); the checkpoint is damaged or comes from a diverged run`);
    if (name.endsWith('running_var')) {
      const i = d.findIndex((v) => v < 0);
      if (i >= 0) throw new UserError(`${file}: tensor ${name} holds a negative variance ${d[i]} at index ${i}; the checkpoint is damaged`);
    }
  }
}

/** Samples of the test split an eval-mode forward pass runs on before a checkpoint is kept. */
const PROBE_SAMPLES = 64;

/** True when the eval-mode logits of the first test samples (training samples if the test split has fewer than 2) are all finite. */
export async function evalForwardIsFinite(model: Sequential, test: Split, train: Split, norm: Normalization): Promise<boolean> {
  const split = test.count >= 2 ? test : train;
  const count = Math.min(split.count, PROBE_SAMPLES);
  if (count === 0) return true;
  const size = split.pixels.length / split.count;
  const logits = (await predict(model, split.pixels.subarray(0, count * size), count, norm)).data;
  for (let i = 0; i < logits.length; i++) if (!Number.isFinite(logits[i])) return false;
  return true;
}
