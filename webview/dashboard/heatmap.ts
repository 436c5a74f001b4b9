/** Activation histograms over time as a heatmap: x = stats step, y = activation value, shade = density. */
import { withAlpha, type Theme } from '../shared/charts';
import { histogramGrid, type HistSnapshot } from './store';

const BINS = 48;
const AXIS = 44;
const FOOT = 16;

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
  const plotW = width - AXIS - 4;
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
      g.fillStyle = withAlpha(color, Math.min(1, 0.1 + 0.9 * Math.sqrt(v)));
      g.fillRect(AXIS + x * cw, top + plotH - (b + 1) * ch, Math.ceil(cw), Math.ceil(ch));
    }
  g.fillStyle = theme.muted;
  g.textAlign = 'right';
  g.fillText(fmt(max), AXIS - 4, top);
  g.textBaseline = 'bottom';
  g.fillText(fmt(min), AXIS - 4, top + plotH);
  g.textBaseline = 'top';
  g.fillText(`step ${snaps[n - 1].step}`, width - 4, top + plotH + 2);
  g.textAlign = 'left';
  g.fillText(`step ${snaps[0].step}`, AXIS, top + plotH + 2);
}

const fmt = (v: number) => (Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(2));
