/** uPlot wrappers shared by the dashboard and the notebook renderer, coloured from the VS Code theme. */
import uPlot from 'uplot';

export interface Theme {
  fg: string;
  muted: string;
  grid: string;
  font: string;
  palette: string[];
}

const cssVar = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

/** Reads colours from VS Code's CSS variables (they change with the theme). */
export function readTheme(): Theme {
  const fg = cssVar('--vscode-foreground', '#cccccc');
  return {
    fg,
    muted: cssVar('--vscode-descriptionForeground', fg),
    grid: cssVar('--vscode-widget-border', cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)')),
    font: `${cssVar('--vscode-font-size', '12px').replace(/^(\d+)$/, '$1px')} ${cssVar('--vscode-font-family', 'sans-serif')}`,
    palette: [
      cssVar('--vscode-charts-blue', '#3794ff'),
      cssVar('--vscode-charts-orange', '#d18616'),
      cssVar('--vscode-charts-green', '#89d185'),
      cssVar('--vscode-charts-purple', '#b180d7'),
      cssVar('--vscode-charts-red', '#f14c4c'),
      cssVar('--vscode-charts-yellow', '#cca700'),
      cssVar('--vscode-terminal-ansiCyan', '#29b8db'),
      cssVar('--vscode-terminal-ansiMagenta', '#bc3fbc'),
    ],
  };
}

/** '#rrggbb' with an alpha; other colour syntaxes are returned as they are. */
export const withAlpha = (color: string, alpha: number) =>
  /^#[0-9a-f]{6}$/i.test(color) ? color + Math.round(alpha * 255).toString(16).padStart(2, '0') : color;

export const colorOf = (theme: Theme, i: number) => theme.palette[i % theme.palette.length];

export interface LineSpec {
  label: string;
  color: string;
  dash?: number[];
  /** Draw points (for sparse series such as evaluations). */
  points?: boolean;
  bars?: boolean;
  width?: number;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel?: string;
  height?: number;
  logY?: boolean;
  /** Fixed y range, e.g. [0, 1] for accuracy. */
  yRange?: [number, number];
  /** Auto y range that always includes 0 (bars of variances). */
  yFromZero?: boolean;
  /** x from 0 to the last x (sparse series: one evaluation must not stretch the axis to twice its step). */
  xFromZero?: boolean;
}

/** Tick spacings for x (steps and channels are whole numbers): 1, 2, 5, 10, 20, 50, … */
const INTEGER_STEPS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));

/** One uPlot chart that is rebuilt when its series (or the theme) change and only refilled otherwise. */
export class Chart {
  private plot: uPlot | undefined;
  private key = '';

  constructor(
    readonly host: HTMLElement,
    private readonly options: ChartOptions,
  ) {}

  /** `data[0]` is x; data[i + 1] belongs to specs[i]. Non-finite values become gaps. */
  update(theme: Theme, specs: LineSpec[], data: Array<ArrayLike<number | null>>): void {
    const key = JSON.stringify([specs, theme]);
    const clean = data.map((col, i) =>
      i === 0 ? Array.from(col as ArrayLike<number>) : Array.from(col, (v) => (v === null || !Number.isFinite(v) || (this.options.logY && v <= 0) ? null : v)),
    ) as uPlot.AlignedData;
    if (key !== this.key || !this.plot) {
      this.plot?.destroy();
      this.plot = new uPlot(this.build(theme, specs), clean, this.host);
      this.key = key;
    } else this.plot.setData(clean);
  }

  resize(): void {
    if (this.plot) this.plot.setSize({ width: this.width(), height: this.options.height ?? 160 });
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.key = '';
  }

  private width(): number {
    return Math.max(160, this.host.clientWidth || this.host.parentElement?.clientWidth || 300);
  }

  private build(theme: Theme, specs: LineSpec[]): uPlot.Options {
    const o = this.options;
    const axis = (label: string | undefined, size: number, incrs?: number[]): uPlot.Axis => ({
      ...(incrs ? { incrs } : {}),
      label,
      stroke: theme.muted,
      font: theme.font,
      labelFont: theme.font,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1 },
      size,
      labelSize: label ? 14 : 0,
      labelGap: 0,
    });
    const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
    return {
      title: o.title,
      width: this.width(),
      height: o.height ?? 160,
      legend: { show: specs.length > 0, live: false },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: o.xFromZero ? { time: false, range: (_u, _min, max) => [0, max > 0 ? max : 1] } : { time: false },
        y: o.logY
          ? { distr: 3 }
          : o.yRange
            ? { range: o.yRange }
            : o.yFromZero
              ? { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] }
              : { auto: true },
      },
      axes: [axis(o.xLabel, 26, INTEGER_STEPS), axis(o.yLabel, 52)],
      series: [
        { label: o.xLabel },
        ...specs.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.color,
            fill: s.bars ? withAlpha(s.color, 0.6) : undefined,
            width: s.width ?? (s.bars ? 0 : 1.5),
            dash: s.dash,
            spanGaps: true,
            paths: s.bars ? bars : undefined,
            points: { show: s.points ?? false, size: 5, stroke: s.color, fill: s.color },
          }),
        ),
      ],
    };
  }
}

/** Aligns several (x, y) tables on one x axis (uPlot's join), with gaps where a series has no point. */
export function joinSeries(tables: Array<{ step: number[]; value: number[] }>): Array<ArrayLike<number | null>> {
  if (tables.length === 0) return [[]];
  return uPlot.join(tables.map((t) => [t.step, t.value] as uPlot.AlignedData)) as Array<ArrayLike<number | null>>;
}
