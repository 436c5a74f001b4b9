/** Bounded (step, value) series: the older half is averaged pairwise once it exceeds `max`. */

export const MAX_POINTS = 600;

export interface Series {
  step: number[];
  value: number[];
}

export const emptySeries = (): Series => ({ step: [], value: [] });

/** Appends a point, halving the older half of the series when it exceeds `max`. */
export function pushPoint(s: Series, step: number, value: number, max = MAX_POINTS): void {
  s.step.push(step);
  s.value.push(value);
  if (s.step.length <= max) return;
  const half = Math.floor(s.step.length / 2) & ~1;
  const step2: number[] = [];
  const value2: number[] = [];
  for (let i = 0; i < half; i += 2) {
    step2.push(s.step[i + 1]);
    value2.push((s.value[i] + s.value[i + 1]) / 2);
  }
  s.step = step2.concat(s.step.slice(half));
  s.value = value2.concat(s.value.slice(half));
}
