/**
 * Folds one run's trainer events into the notebook's rich output (RunOutput) and a text summary.
 * Pure: the notebook controller feeds events and replaces the cell output with `output()`.
 */
import type { TrainEvent } from '../engine/events';
import type { RunOutput } from '../protocol/notebook-output';
import { emptySeries, pushPoint } from './series';

/** Notebook outputs are saved in the file: keep their curves short. */
const MAX_OUTPUT_POINTS = 200;
const mean = (a: readonly number[] | null) => (a && a.length ? a.reduce((s, v) => s + v, 0) / a.length : null);

export class RunOutputBuilder {
  private readonly out: RunOutput;

  constructor(runId: string, label: string, seq?: number, sweep?: RunOutput['sweep']) {
    this.out = {
      runId, label, ...(seq ? { seq } : {}), ...(sweep ? { sweep } : {}), status: 'running', spec: '', dataset: '', backend: '', step: 0, totalSteps: 0, stepsPerSec: 0,
      trainLoss: emptySeries(), testAccuracy: emptySeries(), bn: [],
    };
  }

  add(e: TrainEvent): void {
    const o = this.out;
    switch (e.type) {
      case 'start':
        Object.assign(o, { spec: e.spec, dataset: e.dataset, backend: e.backend, totalSteps: e.totalSteps });
        this.batchSize = e.batchSize;
        return;
      case 'step':
        o.step = e.step;
        o.stepsPerSec = this.batchSize ? e.samplesPerSec / this.batchSize : 0;
        o.trainAccuracy = e.accuracy;
        pushPoint(o.trainLoss, e.step, e.loss, MAX_OUTPUT_POINTS);
        return;
      case 'eval':
        if (e.split === 'test') pushPoint(o.testAccuracy, e.step, e.accuracy, MAX_OUTPUT_POINTS);
        return;
      case 'stats':
        o.statsStep = e.step;
        o.bn = e.bn.map((l) => ({
          layer: l.layer, channels: l.channels,
          batchMean: mean(l.batchMean) ?? NaN, batchVar: mean(l.batchVar) ?? NaN, runningMean: mean(l.runningMean) ?? NaN, runningVar: mean(l.runningVar) ?? NaN,
          gamma: mean(l.gamma), beta: mean(l.beta),
        }));
        return;
      case 'modes': {
        const c = (o.modesCurve ??= { samples: e.samples, eval: emptySeries(), train: emptySeries() });
        pushPoint(c.eval, e.step, e.eval, MAX_OUTPUT_POINTS);
        pushPoint(c.train, e.step, e.train, MAX_OUTPUT_POINTS);
        return;
      }
      case 'landscape': {
        const l = (o.landscape ??= {
          samples: e.samples, stepSizes: e.points.map((p) => p.eta),
          loss: emptySeries(), lossMin: emptySeries(), lossMax: emptySeries(), gradChangeMin: emptySeries(), gradChangeMax: emptySeries(),
        });
        const [losses, changes] = [e.points.map((p) => p.loss), e.points.map((p) => p.gradChange)];
        for (const [s, v] of [[l.loss, e.loss], [l.lossMin, Math.min(...losses)], [l.lossMax, Math.max(...losses)], [l.gradChangeMin, Math.min(...changes)], [l.gradChangeMax, Math.max(...changes)]] as const)
          pushPoint(s, e.step, v, MAX_OUTPUT_POINTS);
        return;
      }
      case 'checkpoint':
        o.checkpoint = e.dir;
        return;
      case 'done':
        o.status = e.reason;
        if (e.message) o.message = e.message;
        if (e.checkpoint) o.checkpoint = e.checkpoint;
        if (e.seconds !== undefined) o.seconds = e.seconds;
        return;
    }
  }

  /** Test accuracy with BN in eval mode (running statistics) and in train mode (batch statistics). */
  setModes(modes: { eval?: number; train?: number }): void {
    this.out.modes = modes;
  }

  output(): RunOutput {
    return structuredClone(this.out);
  }

  /** One line: `seed with BN: completed, step 80/80, loss 0.231, test accuracy 0.951 (eval mode 0.951, train mode 0.948)`. */
  summary(): string {
    const o = this.out;
    const last = (s: { value: number[] }) => s.value[s.value.length - 1];
    const parts = [`${o.label}: ${o.status}`, `step ${o.step}/${o.totalSteps}`];
    if (o.trainLoss.value.length) parts.push(`loss ${last(o.trainLoss).toFixed(3)}`);
    if (o.testAccuracy.value.length) parts.push(`test accuracy ${last(o.testAccuracy).toFixed(3)}`);
    if (o.modes && (o.modes.eval !== undefined || o.modes.train !== undefined))
      parts.push(`BN eval mode ${o.modes.eval?.toFixed(3) ?? '?'} vs train mode ${o.modes.train?.toFixed(3) ?? '?'}`);
    if (o.stepsPerSec) parts.push(`${o.stepsPerSec.toFixed(1)} steps/s on ${o.backend}`);
    if (o.message) parts.push(o.message);
    return parts.join(', ');
  }

  private batchSize = 0;
}
