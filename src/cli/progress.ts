/**
 * The live line of `bnlab train` on a terminal: one per epoch, redrawn in place on stderr
 * (bar, step/total within the epoch, loss, accuracy, samples/s, ETA), cleared for the epoch's
 * summary line. Piped output and --json never get it.
 */
import { clock } from '../lab/event-lines';

export interface LiveStream {
  write(s: string): unknown;
  columns?: number;
}

export interface StepInfo {
  step: number;
  epoch: number;
  loss: number;
  accuracy: number;
  samplesPerSec: number;
}

const REDRAW_MS = 100;

export class EpochProgress {
  private lastDraw = -Infinity;
  private epoch = 0;
  private epochStart = 0;
  private startedAt = 0;
  private lastStepAt: number;
  private shown = false;

  constructor(
    private readonly stream: LiveStream,
    private readonly totalSteps: number,
    private readonly stepsPerEpoch: number,
    private readonly now: () => number = Date.now,
    private readonly width = 20,
  ) {
    this.lastStepAt = now();
  }

  private get epochs(): number {
    return Math.ceil(this.totalSteps / Math.max(1, this.stepsPerEpoch));
  }

  step(e: StepInfo): void {
    const t = this.now();
    if (e.epoch !== this.epoch) {
      this.epoch = e.epoch;
      this.epochStart = (e.epoch - 1) * this.stepsPerEpoch;
      this.startedAt = this.lastStepAt; // the epoch began when the previous step ended
    }
    this.lastStepAt = t;
    const total = Math.min(this.stepsPerEpoch, this.totalSteps - this.epochStart);
    const done = e.step - this.epochStart;
    if (done < total && t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    const filled = Math.round((this.width * done) / Math.max(1, total));
    const perStep = done > 0 ? (t - this.startedAt) / done : 0;
    const eta = done < total ? ` ETA ${clock((perStep * (total - done)) / 1000)}` : '';
    const line =
      `epoch ${e.epoch}/${this.epochs} ${'█'.repeat(filled)}${'░'.repeat(this.width - filled)} ${done}/${total}` +
      ` loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(3)} ${Math.round(e.samplesPerSec)} samples/s${eta}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns || 100) - 1)}\x1b[K`);
    this.shown = true;
  }

  /** Clears the live line so an ordinary line (the epoch summary) takes its place. */
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

