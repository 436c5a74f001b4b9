/** A run's name from what sets it apart from a reference (the defaults): `seed · bn momentum 0.01 · batch 64`. */
import { BN_DEFAULTS, defaultConfig, type ExperimentConfig } from './config';

export function describeRun(c: ExperimentConfig, d: ExperimentConfig = defaultConfig()): string {
  const parts = [c.model];
  if (c.data !== d.data) parts.push(c.data);
  if (!c.bn) parts.push('no BN');
  else {
    const base = BN_DEFAULTS[c.bn.convention];
    if (c.bn.convention !== 'pytorch') parts.push(`${c.bn.convention} BN`);
    if (c.bn.momentum !== base.momentum) parts.push(`bn momentum ${c.bn.momentum ?? 'none'}`);
    if (c.bn.eps !== base.eps) parts.push(`bn eps ${c.bn.eps}`);
    if (!c.bn.affine) parts.push('bn without γ/β');
    if (!c.bn.trackRunningStats) parts.push('bn without running stats');
  }
  if (c.steps !== null) parts.push(`${c.steps} steps`);
  else if (c.epochs !== d.epochs) parts.push(`${c.epochs} epochs`);
  if (c.batchSize !== d.batchSize) parts.push(`batch ${c.batchSize}`);
  if (c.optimizer !== d.optimizer) parts.push(c.optimizer);
  if (c.lr !== d.lr) parts.push(`lr ${c.lr}`);
  if (c.seed !== d.seed) parts.push(`seed ${c.seed}`);
  return parts.join(' · ');
}
