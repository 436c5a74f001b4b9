/** Activation histograms over time as a heatmap: x = stats step, y = activation value, shade = density (relative to the step's fullest bin, with a colour bar). */
import { withAlpha, type Theme } from '../shared/charts';
import { histogramGrid, type HistSnapshot } from './store';

const BINS = 48;
const AXIS = 44;
const FOOT = 16;
/** Room on the right for the colour bar and its labels. */
const SCALE = 40;
const shade = (v: number) => Math.min(1, 0.1 + 0.9 * Math.sqrt(v));

export function drawHeatmap(canvas: HTMLCanvasElement, snaps: readonly HistSnapshot[], theme: Theme, color: string, title: string): void {
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
  if (snaps.length === 0) {
    g.fillStyle = theme.muted;
    g.fillText('waiting for statistics…', AXIS + 6, top + plotH / 2 - 6);
    return;
  }
  const { min, max, cells } = histogramGrid(snaps, BINS);
  const n = snaps.length;
  const cw = plotW / n;
  const ch = plotH / BINS;
  for (let x = 0; x < n; x++)
    for (let b = 0; b < BINS; b++) {
      const v = cells[b * n + x];
      if (v <= 0) continue;
      g.fillStyle = withAlpha(color, shade(v));
      g.fillRect(AXIS + x * cw, top + plotH - (b + 1) * ch, Math.ceil(cw), Math.ceil(ch));
    }
  drawScale(g, theme, color, width - SCALE + 6, top, plotH);
  g.fillStyle = theme.muted;
  g.textAlign = 'right';
  g.fillText(fmt(max), AXIS - 4, top);
  g.textBaseline = 'bottom';
  g.fillText(fmt(min), AXIS - 4, top + plotH);
  g.textBaseline = 'top';
  g.fillText(`step ${snaps[n - 1].step}`, width - SCALE, top + plotH + 2);
  g.textAlign = 'left';
  g.fillText(`step ${snaps[0].step}`, AXIS, top + plotH + 2);
}

/** The colour bar: share of the step's most filled bin, from 0 (bottom) to 1 (top). */
function drawScale(g: CanvasRenderingContext2D, theme: Theme, color: string, x: number, top: number, h: number): void {
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
  g.fillText('1', x + 12, top);
  g.textBaseline = 'bottom';
  g.fillText('0', x + 12, top + h);
  g.textBaseline = 'top';
}

const fmt = (v: number) => (Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(2));
