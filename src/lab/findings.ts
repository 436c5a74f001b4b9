/**
 * What a lab cell's runs measured, in sentences computed from their numbers (the notebook's text
 * output): each run against the first, and why runs that differ only in BN momentum train alike.
 */
import type { RunOutput } from '../protocol/notebook-output';
import type { ExperimentConfig } from './config';

const last = (s: { value: number[] }) => s.value.at(-1);
const f3 = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(3));
const compare = (a: number, b: number, what: string, lowerIsBetter: boolean) => {
  if (a === b) return `the same ${what} (${f3(a)})`;
  const better = lowerIsBetter ? a < b : a > b;
  return `${better ? (lowerIsBetter ? 'lower' : 'higher') : lowerIsBetter ? 'higher' : 'lower'} ${what} (${f3(a)} vs ${f3(b)})`;
};

/** True when the configs are equal except for BN momentum. */
function onlyMomentumDiffers(configs: ExperimentConfig[]): boolean {
  const strip = (c: ExperimentConfig) => JSON.stringify({ ...c, name: '', bn: c.bn && { ...c.bn, momentum: 0 } });
  return configs.length > 1 && configs.every((c) => c.bn && strip(c) === strip(configs[0])) && new Set(configs.map((c) => c.bn!.momentum)).size > 1;
}

export function findings(runs: readonly RunOutput[], configs: readonly ExperimentConfig[]): string[] {
  const done = runs.filter((r) => r.status === 'completed');
  if (done.length < 2 || done.length !== runs.length) return [];
  const lines: string[] = [];
  const [first, ...rest] = done;
  if (onlyMomentumDiffers([...configs])) {
    const losses = done.map((r) => last(r.trainLoss));
    lines.push(
      `These runs differ only in BN momentum, which changes only the running statistics (used in eval mode), not training: ` +
        (new Set(losses).size === 1 ? `their loss curves coincide (final loss ${f3(losses[0])} in every run).` : `final losses ${losses.map(f3).join(', ')}.`),
    );
    const modes = done.filter((r) => r.modes?.eval !== undefined && r.modes?.train !== undefined);
    if (modes.length)
      lines.push(`Test accuracy, BN in eval mode vs train mode: ${modes.map((r) => `${r.label} ${f3(r.modes!.eval)} vs ${f3(r.modes!.train)}`).join('; ')}.`);
    return lines;
  }
  for (const r of rest) {
    const parts: string[] = [];
    const [la, lb] = [last(r.trainLoss), last(first.trainLoss)];
    if (la !== undefined && lb !== undefined) parts.push(compare(la, lb, 'final training loss', true));
    const [aa, ab] = [last(r.testAccuracy), last(first.testAccuracy)];
    if (aa !== undefined && ab !== undefined) parts.push(compare(aa, ab, 'test accuracy', false));
    if (parts.length) lines.push(`${r.label} vs ${first.label}: ${parts.join(', ')}.`);
  }
  return lines;
}
