/** uPlot wrappers shared by the dashboard and the notebook renderer, coloured from the VS Code theme. */
import uPlot from 'uplot';

export interface Theme {
  /** `light`, `dark` or `high-contrast` (VS Code's body class, vscode-*). */
  kind: string;
  fg: string;
  muted: string;
  grid: string;
  font: string;
  /** Run colours: a run keeps the colour of its number in the session (dashboard and notebook alike). */
  palette: string[];
  /** Fixed meanings, whatever the run: batch vs running statistics, γ vs β. */
  semantic: { batch: string; running: string; gamma: string; beta: string };
}

const cssVar = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

/** Reads colours from VS Code's CSS variables (they change with the theme). */
export function readTheme(): Theme {
  const kind = /vscode-(high-contrast-light|high-contrast|light|dark)/.exec(document.body.className)?.[1] ?? 'dark';
  const fg = cssVar('--vscode-foreground', kind.endsWith('light') ? '#3b3b3b' : '#cccccc');
  const hc = kind.startsWith('high-contrast');
  const c = (name: string, fallback: string) => cssVar(`--vscode-charts-${name}`, fallback);
  const [blue, orange, green, purple, red, yellow] = [c('blue', '#3794ff'), c('orange', '#d18616'), c('green', '#89d185'), c('purple', '#b180d7'), c('red', '#f14c4c'), c('yellow', '#cca700')];
  return {
    kind,
    fg,
    // Tick labels in the foreground colour: descriptionForeground is too faint on canvases in dark themes.
    muted: fg,
    // Gridlines a faint tint of the foreground, so they read on any background (a border colour can be white).
    grid: hc ? withAlpha(toHex(fg), 0.45) : withAlpha(toHex(fg), 0.14),
    font: `${cssVar('--vscode-font-size', '12px').replace(/^(\d+)$/, '$1px')} ${cssVar('--vscode-font-family', 'sans-serif')}`,
    palette: [
      blue, orange, green, purple, red, yellow,
      cssVar('--vscode-terminal-ansiCyan', '#29b8db'),
      cssVar('--vscode-terminal-ansiMagenta', '#bc3fbc'),
      kind.endsWith('light') ? '#8c564b' : '#c49c94',
      kind.endsWith('light') ? '#7f7f7f' : '#bbbbbb',
    ],
    semantic: { batch: blue, running: orange, gamma: green, beta: purple },
  };
}

/** A CSS colour as #rrggbb when it is #rgb, #rrggbb or rgb(); else as it is. */
function toHex(color: string): string {
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(color);
  if (short) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`;
  const rgb = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color);
  if (rgb) return `#${rgb.slice(1, 4).map((v) => Number(v).toString(16).padStart(2, '0')).join('')}`;
  return color.slice(0, 7);
}

/** '#rrggbb' with an alpha; other colour syntaxes are returned as they are. */
export const withAlpha = (color: string, alpha: number) =>
  /^#[0-9a-f]{6}$/i.test(color) ? color + Math.round(alpha * 255).toString(16).padStart(2, '0') : color;

export const colorOf = (theme: Theme, i: number) => theme.palette[i % theme.palette.length];
/** Runs beyond the palette's length repeat a colour with another dash pattern. */
export const dashOf = (theme: Theme, i: number): number[] | undefined => [undefined, [6, 3], [2, 2]][Math.floor(i / theme.palette.length) % 3];

/** Colours a run's swatch as its lines are drawn: filled, or a dashed ring for a run beyond the palette's length (dashed lines). */
export function paintSwatch(swatch: HTMLElement, theme: Theme, i: number): void {
  const color = colorOf(theme, i);
  if (dashOf(theme, i)) swatch.style.border = `2px dashed ${color}`;
  else swatch.style.background = color;
}

/** Legends longer than this are not drawn: the run list (with its colour swatches) names the lines. */
export const MAX_LEGEND = 6;

export interface LineSpec {
  label: string;
  color: string;
  dash?: number[];
  /** Draw points (for sparse series such as evaluations). */
  points?: boolean;
  bars?: boolean;
  width?: number;
  /** Fill a band from this line down to the line specs[fillTo] (uPlot bands), in this line's colour. */
  fillTo?: number;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel?: string;
  height?: number;
  logY?: boolean;
  /** Log-scale x with a tick at each x value (batch sizes 2, 4, 8, …). */
  logX?: boolean;
  /** Draw a legend (default: when there are at most MAX_LEGEND series). */
  legend?: boolean;
  /** Fixed y range, e.g. [0, 1] for accuracy. */
  yRange?: [number, number];
  /** Auto y range that always includes 0 (bars of variances). */
  yFromZero?: boolean;
  /** x from 0 to `xMax` given to update() (sparse series: one evaluation must not stretch the axis to twice its step). */
  xFromZero?: boolean;
}

/**
 * Ticks 1, 2, 2.5 or 5 × 10^k apart, about `count` intervals, from a multiple at or below `min` to one at or above `max`:
 * an auto y range that ends on ticks, so no point lies below the lowest tick or above the highest.
 */
export function niceTicks(min: number | null, max: number | null, count = 4): number[] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) [min, max] = [min - (Math.abs(min) * 0.1 || 1), max + (Math.abs(max) * 0.1 || 1)];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const incr = [1, 2, 2.5, 5, 10].map((k) => k * magnitude).find((v) => v >= raw * (1 - 1e-9))!;
  const from = Math.floor(min / incr + 1e-9), to = Math.ceil(max / incr - 1e-9);
  return Array.from({ length: to - from + 1 }, (_, i) => Number(((from + i) * incr).toPrecision(12)));
}

/** Tick spacings for x (steps and channels are whole numbers): 1, 2, 5, 10, 20, 50, … */
const INTEGER_STEPS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));

/** One uPlot chart that is rebuilt when its series (or the theme) change and only refilled otherwise. */
export class Chart {
  private plot: uPlot | undefined;
  private key = '';
  private xMax = 1;
  private xLabel = '';
  /** The auto y range's ticks, computed with the range (niceTicks). */
  private yTicks: number[] = [];
  /** The x values last drawn (the ticks of a log x axis). */
  private xs: number[] = [];

  constructor(
    readonly host: HTMLElement,
    private readonly options: ChartOptions,
  ) {}

  /**
   * `data[0]` is x; data[i + 1] belongs to specs[i]. Non-finite values become gaps. `xMax`: the x axis end with
   * `xFromZero`; `xLabel` replaces the options' (e.g. epochs instead of steps).
   */
  update(theme: Theme, specs: LineSpec[], data: Array<ArrayLike<number | null>>, xMax?: number, xLabel = this.options.xLabel): void {
    const x = data[0] as ArrayLike<number>;
    this.xs = Array.from(x);
    this.xMax = xMax ?? (x.length ? x[x.length - 1] : 1);
    this.xLabel = xLabel;
    const key = JSON.stringify([specs, theme, xLabel]);
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
    const niceY = !o.logY && !o.yRange && !o.yFromZero;
    const axis = (label: string | undefined, size: number, space: number, incrs?: number[], splits?: uPlot.Axis.Splits): uPlot.Axis => ({
      ...(incrs ? { incrs } : {}),
      ...(splits ? { splits } : {}),
      space,
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
      legend: { show: (o.legend ?? true) && specs.length > 0 && specs.length <= MAX_LEGEND, live: false },
      // Room on the right for the last x tick's label ("40", not "4").
      padding: [8, 16, 0, 0],
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: o.logX ? { time: false, distr: 3, log: 2 } : o.xFromZero ? { time: false, range: () => [0, Math.max(1, this.xMax)] } : { time: false },
        y: o.logY
          ? { distr: 3 }
          : o.yRange
            ? { range: o.yRange }
            : o.yFromZero
              ? { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] }
              : {
                  range: (_u, min, max) => {
                    this.yTicks = niceTicks(min, max);
                    return [this.yTicks[0], this.yTicks[this.yTicks.length - 1]];
                  },
                },
      },
      // Steps, channels and samples are whole numbers; epochs seen are not (a 1-epoch run needs ticks at 0.2, 0.4, …).
      axes: [
        o.logX ? axis(this.xLabel, 26, 20, undefined, () => this.xs) : axis(this.xLabel, 26, 40, this.xLabel === 'epoch' ? undefined : INTEGER_STEPS),
        axis(o.yLabel, 52, 24, undefined, niceY ? () => this.yTicks : undefined),
      ],
      bands: specs.flatMap((s, i): uPlot.Band[] => (s.fillTo === undefined ? [] : [{ series: [i + 1, s.fillTo + 1], fill: withAlpha(s.color, 0.22) }])),
      // What the axes show, for tests and assistive tools: the x label and range and the ticks drawn.
      hooks: {
        draw: [
          (u) => {
            this.host.dataset.xLabel = this.xLabel;
            this.host.dataset.xRange = `${u.scales.x.min},${u.scales.x.max}`;
            const ticks = (i: number) => ((u.axes[i] as { _splits?: number[] })._splits ?? []).join(',');
            [this.host.dataset.xTicks, this.host.dataset.yTicks] = [ticks(0), ticks(1)];
          },
        ],
      },
      series: [
        { label: this.xLabel },
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
