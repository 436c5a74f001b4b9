/**
 * What a lab cell's runs measured, in sentences computed from their numbers (the notebook's text
 * output): each run against the first, why runs that differ only in BN momentum train alike, and
 * how test accuracy changes with batch size in a sweep, and how the loss and gradient change along the gradient (Santurkar et al. 2018).
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

const sameCurve = (a: { value: number[] }, b: { value: number[] }) => a.value.length === b.value.length && a.value.every((v, i) => v === b.value[i]);
const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(3)}`;

/** The largest train − eval mode gap of each run measured during its run, and where. */
function modeGaps(runs: readonly RunOutput[]): string[] {
  const measured = runs.filter((r) => r.modesCurve?.eval.value.length);
  if (!measured.length) return [];
  const gaps = measured.map((r) => {
    const { eval: ev, train } = r.modesCurve!;
    let k = 0;
    ev.value.forEach((v, i) => train.value[i] - v > train.value[k] - ev.value[k] && (k = i));
    return `${r.label} ${signed(train.value[k] - ev.value[k])} at step ${ev.step[k]} (${f3(ev.value[k])} vs ${f3(train.value[k])})`;
  });
  const samples = [...new Set(measured.map((r) => r.modesCurve!.samples))].join('/');
  return [`During the runs (first ${samples} test samples, every stats step), the largest gap of train mode over eval mode: ${gaps.join('; ')}.`];
}

type Band = [{ value: number[] }, { value: number[] }];

/** Santurkar et al.'s measurement: over each run, the range of the loss and of the gradient change along the gradient, and the band's mean width. */
function landscapeFindings(runs: readonly RunOutput[]): string[] {
  const measured = runs.filter((r) => r.landscape?.loss.value.length);
  if (!measured.length) return [];
  const each = (band: (l: NonNullable<RunOutput['landscape']>) => Band) =>
    measured
      .map((r) => {
        const [lo, hi] = band(r.landscape!);
        const width = hi.value.reduce((s, v, i) => s + v - lo.value[i], 0) / hi.value.length;
        return `${r.label} ${f3(Math.min(...lo.value))}–${f3(Math.max(...hi.value))} (mean width over η per step ${f3(width)})`;
      })
      .join('; ');
  const l = measured[0].landscape!;
  return [
    `Along the gradient g at each stats step (step sizes η ${l.stepSizes.join(', ')}, on the first ${l.samples} training samples), the loss L(w − ηg) over the run: ${each((x) => [x.lossMin, x.lossMax])}.`,
    `The gradient change ‖∇L(w − ηg) − ∇L(w)‖ over the run: ${each((x) => [x.gradChangeMin, x.gradChangeMax])}.`,
  ];
}

/** A sweep: each line's test accuracy from its smallest to its largest batch, and the best line at the smallest and largest batch. */
function sweepFindings(runs: readonly RunOutput[]): string[] {
  const batches = [...new Set(runs.map((r) => r.sweep!.batch))].sort((a, b) => a - b);
  const series = [...new Set(runs.map((r) => r.sweep!.series))];
  const acc = (s: string, b: number) => last(runs.find((r) => r.sweep!.series === s && r.sweep!.batch === b)?.testAccuracy ?? { value: [] });
  const samples = [...new Set(runs.map((r) => r.totalSteps * r.sweep!.batch))].sort((a, b) => a - b);
  const [lo, hi] = [batches[0], batches.at(-1)!];
  const best = (b: number) => {
    const [s] = series.filter((x) => acc(x, b) !== undefined).sort((x, y) => acc(y, b)! - acc(x, b)!);
    return s === undefined ? '?' : `${s} (${f3(acc(s, b))})`;
  };
  return [
    `Test accuracy (eval mode, whole test split) at batch ${lo} → ${hi}, each run on ${samples.length === 1 ? samples[0] : `${samples[0]}–${samples.at(-1)}`} training samples: ` +
      `${series.map((s) => `${s} ${f3(acc(s, lo))} → ${f3(acc(s, hi))}`).join('; ')}.`,
    `Best at batch ${lo}: ${best(lo)}; at batch ${hi}: ${best(hi)}.`,
  ];
}

export function findings(runs: readonly RunOutput[], configs: readonly ExperimentConfig[]): string[] {
  const done = runs.filter((r) => r.status === 'completed');
  // `configs` are all the cell's runs: nothing is said while some have not finished (nor started).
  if (done.length < 2 || done.length !== configs.length) return [];
  if (done.every((r) => r.sweep)) return sweepFindings(done);
  const lines: string[] = [];
  const [first, ...rest] = done;
  if (onlyMomentumDiffers([...configs])) {
    const losses = done.map((r) => last(r.trainLoss));
    lines.push(
      `These runs differ only in BN momentum, which changes only the running statistics (used in eval mode), not training: ` +
        (done.every((r) => sameCurve(r.trainLoss, first.trainLoss))
          ? `their loss curves coincide, one line on top of the others (final loss ${f3(losses[0])} in every run).`
          : `yet their loss curves are not identical (final losses ${losses.map(f3).join(', ')}).`),
    );
    lines.push(...modeGaps(done));
    const modes = done.filter((r) => r.modes?.eval !== undefined && r.modes?.train !== undefined);
    if (modes.length)
      lines.push(`Test accuracy after training, BN in eval mode vs train mode: ${modes.map((r) => `${r.label} ${f3(r.modes!.eval)} vs ${f3(r.modes!.train)}`).join('; ')}.`);
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
  return [...lines, ...modeGaps(done), ...landscapeFindings(done)];
}
