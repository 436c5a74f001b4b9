/** Heatmaps over time, x = stats step, with a colour bar: activation histograms (y = value, shade = density) and per-channel values (y = channel). */
import { withAlpha, type Theme } from '../shared/charts';
import { channelGrid, histogramGrid, type HistSnapshot } from './store';

const BINS = 48;
const AXIS = 44;
const FOOT = 16;
/** Room on the right for the colour bar and its labels. */
const SCALE = 50;
const shade = (v: number) => Math.min(1, 0.1 + 0.9 * Math.sqrt(v));

/** A grid to shade: cells[row * cols + col] in 0..1, row 0 at the bottom, a column per stats step. */
interface Grid {
  rows: number;
  cells: Float32Array;
  steps: readonly number[];
  /** Labels at the bottom and top of the y axis and of the colour bar. */
  yLabels: [string, string];
  scaleLabels: [string, string];
  /** Shade zero cells too (a value map; a histogram leaves empty bins blank). */
  shadeZero?: boolean;
}

/** Activation histograms over time: y = activation value, shade = density relative to the step's fullest bin. */
export function drawHeatmap(canvas: HTMLCanvasElement, snaps: readonly HistSnapshot[], theme: Theme, color: string, title: string): void {
  const { min, max, cells } = histogramGrid(snaps, BINS);
  drawGrid(canvas, theme, color, title, snaps.length ? { rows: BINS, cells, steps: snaps.map((s) => s.step), yLabels: [fmt(min), fmt(max)], scaleLabels: ['0', '1'] } : undefined);
}

/** A per-channel value over time: y = channel, shade = the value within its range over the timeline. */
export function drawChannelHeatmap(canvas: HTMLCanvasElement, snaps: ReadonlyArray<{ step: number; values: readonly number[] }>, theme: Theme, color: string, title: string): void {
  const { min, max, channels, cells } = channelGrid(snaps);
  drawGrid(canvas, theme, color, title, snaps.length ? { rows: channels, cells, steps: snaps.map((s) => s.step), yLabels: ['ch 0', `ch ${channels - 1}`], scaleLabels: [fmt(min), fmt(max)], shadeZero: true } : undefined);
}

function drawGrid(canvas: HTMLCanvasElement, theme: Theme, color: string, title: string, grid: Grid | undefined): void {
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(160, canvas.parentElement?.clientWidth ?? 300);
  const height = 130;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const g = canvas.getContext('2d');
  if (!g) return;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = theme.font;
  g.fillStyle = theme.fg;
  g.textBaseline = 'top';
  g.fillText(title, AXIS, 0);
  const top = 16;
  const plotW = width - AXIS - SCALE;
  const plotH = height - top - FOOT;
  g.strokeStyle = theme.grid;
  g.strokeRect(AXIS - 0.5, top - 0.5, plotW + 1, plotH + 1);
  if (!grid) {
    g.fillStyle = theme.muted;
    g.fillText('waiting for statistics…', AXIS + 6, top + plotH / 2 - 6);
    return;
  }
  const { rows, cells, steps } = grid;
  const n = steps.length;
  const cw = plotW / n;
  const ch = plotH / rows;
  for (let x = 0; x < n; x++)
    for (let b = 0; b < rows; b++) {
      const v = cells[b * n + x];
      if (v <= 0 && !(grid.shadeZero && v === 0)) continue;
      g.fillStyle = withAlpha(color, shade(v));
      g.fillRect(AXIS + x * cw, top + plotH - (b + 1) * ch, Math.ceil(cw), Math.ceil(ch));
    }
  drawScale(g, theme, color, width - SCALE + 6, top, plotH, grid.scaleLabels);
  g.fillStyle = theme.muted;
  g.textAlign = 'right';
  g.fillText(grid.yLabels[1], AXIS - 4, top);
  g.textBaseline = 'bottom';
  g.fillText(grid.yLabels[0], AXIS - 4, top + plotH);
  g.textBaseline = 'top';
  g.fillText(`step ${steps[n - 1]}`, width - SCALE, top + plotH + 2);
  g.textAlign = 'left';
  g.fillText(`step ${steps[0]}`, AXIS, top + plotH + 2);
}

/** The colour bar, from the low label (bottom) to the high one (top). */
function drawScale(g: CanvasRenderingContext2D, theme: Theme, color: string, x: number, top: number, h: number, [low, high]: [string, string]): void {
  const steps = 24;
  for (let i = 0; i < steps; i++) {
    g.fillStyle = withAlpha(color, shade((i + 0.5) / steps));
    g.fillRect(x, top + h - ((i + 1) * h) / steps, 8, Math.ceil(h / steps));
  }
  g.strokeStyle = theme.grid;
  g.strokeRect(x - 0.5, top - 0.5, 9, h + 1);
  g.fillStyle = theme.muted;
  g.textAlign = 'left';
  g.textBaseline = 'top';
  g.fillText(high, x + 12, top);
  g.textBaseline = 'bottom';
  g.fillText(low, x + 12, top + h);
  g.textBaseline = 'top';
}

const fmt = (v: number) => (Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(2));
