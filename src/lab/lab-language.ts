/**
 * The lab-cell language: YAML declaring an experiment (or an export), parsed into
 * ExperimentConfigs with a diagnostic — line, column and key — for every problem.
 *
 *   name: seed with BN            # label of the run
 *   model: seed                   # spec or preset
 *   data: digits
 *   epochs: 1                     # or steps: 200
 *   batch: 100
 *   optimizer: adam               # adam | sgd | adamw (+ sgd_momentum, weight_decay)
 *   lr: 0.001
 *   seed: 1
 *   bn: { momentum: 0.1, eps: 1e-5, affine: true, track_running_stats: true, convention: pytorch }
 *   # Ghost BN: bn: { ghost: 16 }; Batch Renorm: bn: { renorm: true, rmax: 3, dmax: 5, warmup: 5000 }
 *   compare:                      # more runs: each overrides some keys of the one above
 *     - { label: no BN, bn: off }
 *   sweep: { batch: [2, 4, 8], samples: 2000 }   # each run above at each batch size, on `samples` training samples
 *   landscape: { step_sizes: [0.05, 0.1, 0.2, 0.4] }   # or true: loss and gradient change along the gradient at each stats step
 *
 * An export cell holds only `export: { run: LABEL, out: FILE.onnx, validate: true }`; a recalibrate
 * cell only `recalibrate: { run: LABEL, batches: 20, batch: 100 }` (BN recalibration, "precise BN").
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { RENORM_DEFAULTS } from '../engine/layers/batchnorm';
import {
  BACKENDS,
  checks,
  CONVENTIONS,
  crossCheck,
  defaultBn,
  defaultConfig,
  OPTIMIZERS,
  type BnConfig,
  type Check,
  type DeepChecks,
  type ExperimentConfig,
  LANDSCAPE_STEP_SIZES,
} from './config';

export interface Diagnostic {
  severity: 'error' | 'warning';
  message: string;
  /** Dotted key path, e.g. `bn.momentum`, `compare[1].lr`; '' for the whole cell. */
  key: string;
  /** 1-based line and column of the start. */
  line: number;
  column: number;
  /** Character offsets [start, end) into the cell text, for editor ranges. */
  start: number;
  end: number;
}

export interface Run {
  label: string;
  config: ExperimentConfig;
  /** In a `sweep` cell: the run it was expanded from (a line of the chart) and its batch size. */
  sweep?: { series: string; batch: number };
}

export interface SweepSpec {
  batches: number[];
  /** Training samples per run (steps = ceil(samples / batch)); null = the steps or epochs of each run. */
  samples: number | null;
}

export interface ExportSpec {
  /** Label of the run to export; null = the last run trained in the notebook. */
  run: string | null;
  /** Output file (relative to the notebook); null = next to the checkpoint. */
  out: string | null;
  validate: boolean;
}

export interface RecalibrateSpec {
  /** Label of the run to recalibrate; null = the last run trained in the notebook. */
  run: string | null;
  batches: number;
  /** null = the run's batch size. */
  batchSize: number | null;
}

export type LabCell =
  | { kind: 'experiment'; runs: Run[] }
  | { kind: 'export'; export: ExportSpec }
  | { kind: 'recalibrate'; recalibrate: RecalibrateSpec };

export interface ParseResult {
  /** Undefined when any error was found (warnings alone keep the cell). */
  cell?: LabCell;
  diagnostics: Diagnostic[];
}

type Apply = (c: ExperimentConfig, v: never) => void;
interface Field {
  check: Check<unknown>;
  apply: Apply;
}
const field = <T>(check: Check<T>, apply: (c: ExperimentConfig, v: T) => void): Field => ({ check, apply: apply as Apply });

/** Top-level experiment keys (also allowed in each `compare` item). */
const FIELDS: Record<string, Field> = {
  model: field(checks.text, (c, v) => (c.model = v)),
  data: field(checks.text, (c, v) => (c.data = v)),
  epochs: field(checks.int(1, 10_000), (c, v) => ((c.epochs = v), (c.steps = null))),
  steps: field(checks.int(1, 10_000_000), (c, v) => ((c.steps = v), (c.epochs = null))),
  batch: field(checks.int(1, 65_536), (c, v) => (c.batchSize = v)),
  optimizer: field(checks.oneOf(OPTIMIZERS), (c, v) => (c.optimizer = v)),
  lr: field(checks.number(0, 10), (c, v) => (c.lr = v)),
  sgd_momentum: field(checks.number(0, 1), (c, v) => (c.sgdMomentum = v)),
  weight_decay: field(checks.number(0, 1), (c, v) => (c.weightDecay = v)),
  seed: field(checks.int(0, 2 ** 32 - 1), (c, v) => (c.seed = v)),
  backend: field(checks.oneOf(BACKENDS), (c, v) => (c.backend = v)),
  stats_interval: field(checks.int(1, 1_000_000), (c, v) => (c.statsInterval = v)),
  eval_modes: field(checks.bool, (c, v) => (c.evalModes = v)),
};

const BN_FIELDS: Record<string, { check: Check<unknown>; apply: (bn: BnConfig, v: never) => void }> = {
  convention: { check: checks.oneOf(CONVENTIONS), apply: (bn, v: BnConfig['convention']) => (bn.convention = v) },
  momentum: { check: checks.momentum, apply: (bn, v: number | null) => (bn.momentum = v) },
  eps: { check: checks.number(0, 1, true), apply: (bn, v: number) => (bn.eps = v) },
  affine: { check: checks.bool, apply: (bn, v: boolean) => (bn.affine = v) },
  track_running_stats: { check: checks.bool, apply: (bn, v: boolean) => (bn.trackRunningStats = v) },
  ghost: { check: checks.int(1, 65_536), apply: (bn, v: number) => (bn.ghost = v) },
  renorm: { check: checks.bool, apply: (bn, v: boolean) => (v ? (bn.renorm ??= { ...RENORM_DEFAULTS }) : delete bn.renorm) },
};
/** Batch renorm's limits, in the bn mapping beside `renorm: true`. */
const RENORM_FIELDS: Record<string, Check<number>> = { rmax: checks.number(1, 1000), dmax: checks.number(0, 1000), warmup: checks.int(0, 10_000_000) };

const EXPORT_KEYS = ['run', 'out', 'validate'];
const RECALIBRATE_KEYS = ['run', 'batches', 'batch'];
/** Cells of one key, each with its keys. */
const TOOL_CELLS = { export: EXPORT_KEYS, recalibrate: RECALIBRATE_KEYS };

class CellParser {
  readonly diagnostics: Diagnostic[] = [];
  private readonly lines = new LineCounter();

  constructor(
    private readonly text: string,
    private readonly deep: DeepChecks,
  ) {}

  parse(): ParseResult {
    const doc = parseDocument(this.text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    for (const e of doc.errors) this.at(e.pos[0], e.pos[1], '', e.message.split('\n')[0]);
    for (const w of doc.warnings) this.at(w.pos[0], w.pos[1], '', w.message.split('\n')[0], 'warning');
    if (doc.errors.length) return this.result();
    const root = doc.contents;
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
      this.at(0, this.text.length, '', 'empty lab cell: declare an experiment (model, data, epochs, …) or an export');
      return this.result();
    }
    if (!isMap(root)) {
      this.node(root, '', 'a lab cell is a mapping of keys (model: …, epochs: …), not a list or a single value');
      return this.result();
    }
    const cell = this.has(root, 'export') ? this.exportCell(root) : this.has(root, 'recalibrate') ? this.recalibrateCell(root) : this.experimentCell(root);
    return this.result(cell);
  }

  private result(cell?: LabCell): ParseResult {
    const ok = !this.diagnostics.some((d) => d.severity === 'error');
    return ok && cell ? { cell, diagnostics: this.diagnostics } : { diagnostics: this.diagnostics };
  }

  private experimentCell(root: YAMLMap): LabCell | undefined {
    const base = defaultConfig();
    let compare: Pair | undefined;
    let sweep: SweepSpec | undefined;
    for (const pair of this.pairs(root, '')) {
      const key = this.keyOf(pair, '');
      if (key === undefined) continue;
      if (key === 'name') this.value(pair, key, checks.text, (v) => (base.name = v));
      else if (key === 'compare') compare = pair;
      else if (key === 'sweep') sweep = this.sweep(pair);
      else if (key === 'export' || key === 'recalibrate') this.node(pair.key, key, `\`${key}\` goes in a cell of its own`);
      else this.setField(base, pair, key, '');
    }
    this.bothEpochsAndSteps(root, '');
    let runs: Run[] = [{ label: base.name, config: base }];
    /** The key path each run's keys are written under ('' = the top of the cell). */
    let paths = [''];
    if (compare) {
      const seq = compare.value as Node | null;
      if (!isSeq(seq) || seq.items.length === 0) this.node(seq ?? compare.key, 'compare', 'compare is a list of variants, e.g. `- { label: no BN, bn: off }`');
      else
        seq.items.forEach((item, i) => {
          const path = `compare[${i}]`;
          if (!isMap(item)) return this.node(item as Node, path, 'each compare item is a mapping of the keys it changes');
          const config: ExperimentConfig = structuredClone(base);
          let label: string | undefined;
          for (const pair of this.pairs(item, path)) {
            const key = this.keyOf(pair, path);
            if (key === undefined) continue;
            if (key === 'label') this.value(pair, `${path}.label`, checks.text, (v) => (label = v));
            else if (key === 'name' || key === 'compare') this.node(pair.key, `${path}.${key}`, `${key} is not allowed in a compare item${key === 'name' ? ' (use label)' : ''}`);
            else this.setField(config, pair, key, path);
          }
          this.bothEpochsAndSteps(item, path);
          config.name = label ?? `${base.name} #${i + 2}`;
          runs.push({ label: config.name, config });
          paths.push(path);
        });
    }
    if (sweep) [runs, paths] = expandSweep(runs, paths, sweep);
    const labels = new Set<string>();
    runs.forEach((r, i) => {
      const path = paths[i];
      const join = (k: string) => (path ? `${path}.${k}` : k);
      if (labels.has(r.label)) this.atKey(root, join(i === 0 ? 'name' : 'label'), `two runs are labelled "${r.label}": give each a distinct label`);
      labels.add(r.label);
      for (const [key, message] of crossCheck(r.config)) this.atKey(root, this.locate(root, join(key)) ? join(key) : key, message);
      if (r.config.bn && r.config.batchSize === 1)
        this.atKey(root, this.locate(root, join('batch')) ? join('batch') : 'batch', 'batch 1 with BN: training fails where a BN layer sees one value per channel', 'warning');
    });
    this.deepChecks(root, runs);
    return { kind: 'experiment', runs };
  }

  private sweep(pair: Pair): SweepSpec | undefined {
    const v = pair.value as Node | null;
    if (!isMap(v)) return void this.node(v ?? pair.key, 'sweep', 'sweep is a mapping { batch: [2, 4, 8], samples: 2000 }');
    const spec: SweepSpec = { batches: [], samples: null };
    for (const p of this.pairs(v, 'sweep')) {
      const k = this.keyOf(p, 'sweep', ['batch', 'samples']);
      if (k === 'samples') this.value(p, 'sweep.samples', checks.int(1, 10_000_000), (n) => (spec.samples = n));
      else if (k === 'batch') spec.batches = this.distinct(p, 'sweep.batch', checks.int(1, 65_536), 'batch', 'sweep.batch is a list of batch sizes, e.g. [2, 4, 8, 16, 32]');
    }
    if (!this.has(v, 'batch')) return void this.node(v, 'sweep', 'sweep needs batch: a list of batch sizes, e.g. [2, 4, 8, 16, 32]');
    return spec;
  }

  /** A non-empty list of distinct values, each passing `check`: a diagnostic at each bad item (`item` names one in "… is listed twice"). */
  private distinct(pair: Pair, where: string, check: Check<number>, item: string, notAList: string): number[] {
    const list = pair.value as Node | null;
    const out: number[] = [];
    if (!isSeq(list) || list.items.length === 0) this.node(list ?? pair.key, where, notAList);
    else
      for (const node of list.items as Node[]) {
        const r = check(isScalar(node) ? node.value : null);
        if ('error' in r) this.node(node, where, r.error);
        else if (out.includes(r.value)) this.node(node, where, `${item} ${r.value} is listed twice`);
        else out.push(r.value);
      }
    return out;
  }

  /** `landscape: true` (the default step sizes), `false`, or `{ step_sizes: [0.05, 0.1, 0.2, 0.4] }`. */
  private setLandscape(config: ExperimentConfig, pair: Pair, where: string): void {
    const v = pair.value as Node | null;
    if (isScalar(v) && typeof v.value === 'boolean') return void (v.value ? (config.landscape = [...LANDSCAPE_STEP_SIZES]) : delete config.landscape);
    if (!isMap(v)) return this.node(v ?? pair.key, where, `landscape is true, false, or a mapping { step_sizes: [${LANDSCAPE_STEP_SIZES.join(', ')}] }`);
    config.landscape = [...LANDSCAPE_STEP_SIZES];
    for (const p of this.pairs(v, where))
      if (this.keyOf(p, where, ['step_sizes']) !== undefined)
        config.landscape = this.distinct(p, `${where}.step_sizes`, checks.number(0, 100, true), 'step size', `step_sizes is a list of step sizes along the gradient, e.g. [${LANDSCAPE_STEP_SIZES.join(', ')}]`);
  }

  private deepChecks(root: YAMLMap, runs: Run[]): void {
    const checked = new Set<string>();
    for (const [key, fn, pick] of [
      ['model', this.deep.model, (c: ExperimentConfig) => c.model],
      ['data', this.deep.data, (c: ExperimentConfig) => c.data],
    ] as const) {
      if (!fn) continue;
      for (const r of runs) {
        const v = pick(r.config);
        if (checked.has(`${key}:${v}`)) continue;
        checked.add(`${key}:${v}`);
        const err = fn(v);
        if (err) this.nodeOrCell(this.findValue(root, key, v), key, err);
      }
    }
  }

  /** A cell holding only `key`, whose value is `true` or a mapping of its keys; `set` takes each of them. */
  private toolCell(root: YAMLMap, key: keyof typeof TOOL_CELLS, set: (k: string, p: Pair) => void): void {
    const keys = TOOL_CELLS[key];
    for (const pair of this.pairs(root, '')) {
      const k = this.keyOf(pair, '');
      if (k === undefined) continue;
      if (k !== key) {
        this.node(pair.key, k, `${key === 'export' ? 'an' : 'a'} ${key} cell holds only \`${key}\`; move "${k}" to an experiment cell`);
        continue;
      }
      const v = pair.value as Node | null;
      if (isScalar(v) && (v.value === true || v.value === null)) continue;
      if (!isMap(v)) {
        this.node(v ?? pair.key, key, `${key} is \`true\` or a mapping { ${keys.join(', ')} }`);
        continue;
      }
      for (const p of this.pairs(v, key)) {
        const name = this.keyOf(p, key, keys);
        if (name !== undefined) set(name, p);
      }
    }
  }

  private exportCell(root: YAMLMap): LabCell {
    const spec: ExportSpec = { run: null, out: null, validate: true };
    this.toolCell(root, 'export', (k, p) => {
      if (k === 'run') this.value(p, 'export.run', checks.text, (s) => (spec.run = s));
      else if (k === 'out')
        this.value(p, 'export.out', checks.text, (s) => (/\.onnx$/i.test(s) ? (spec.out = s) : this.node(p.value as Node, 'export.out', `"${s}" should end in .onnx`)));
      else this.value(p, 'export.validate', checks.bool, (b) => (spec.validate = b));
    });
    return { kind: 'export', export: spec };
  }

  private recalibrateCell(root: YAMLMap): LabCell {
    const spec: RecalibrateSpec = { run: null, batches: 20, batchSize: null };
    this.toolCell(root, 'recalibrate', (k, p) => {
      if (k === 'run') this.value(p, 'recalibrate.run', checks.text, (s) => (spec.run = s));
      else if (k === 'batches') this.value(p, 'recalibrate.batches', checks.int(1, 100_000), (n) => (spec.batches = n));
      else this.value(p, 'recalibrate.batch', checks.int(2, 65_536), (n) => (spec.batchSize = n));
    });
    return { kind: 'recalibrate', recalibrate: spec };
  }

  private setField(config: ExperimentConfig, pair: Pair, key: string, path: string): void {
    const where = path ? `${path}.${key}` : key;
    if (key === 'bn') return this.setBn(config, pair, where);
    if (key === 'landscape') return this.setLandscape(config, pair, where);
    const f = FIELDS[key];
    if (!f) return this.unknownKey(pair, where, key, [...Object.keys(FIELDS), 'bn', 'landscape', ...(path ? ['label'] : ['name', 'compare', 'sweep'])]);
    this.value(pair, where, f.check, (v) => f.apply(config, v as never));
  }

  private setBn(config: ExperimentConfig, pair: Pair, where: string): void {
    const v = pair.value as Node | null;
    if (isScalar(v) && [false, 'off', 'none', 'no'].includes(v.value as never)) return void (config.bn = null);
    if (isScalar(v) && [true, 'on', 'yes'].includes(v.value as never)) return void (config.bn ??= defaultBn());
    if (!isMap(v)) return this.node(v ?? pair.key, where, 'bn is off, on, or a mapping { momentum, eps, affine, track_running_stats, convention, ghost, renorm, rmax, dmax, warmup }');
    const pairs = this.pairs(v, where);
    const conv = pairs.find((p) => isScalar(p.key) && p.key.value === 'convention');
    let bn: BnConfig = config.bn ? { ...config.bn } : defaultBn();
    // A convention brings its own momentum/eps defaults; keys written next to it override them.
    if (conv)
      this.value(conv, `${where}.convention`, BN_FIELDS.convention.check, (c) => {
        if (c !== bn.convention) bn = { ...defaultBn(c as BnConfig['convention']), affine: bn.affine, trackRunningStats: bn.trackRunningStats };
      });
    const limits: Pair[] = [];
    for (const p of pairs) {
      const k = this.keyOf(p, where, [...Object.keys(BN_FIELDS), ...Object.keys(RENORM_FIELDS)]);
      if (k === undefined || k === 'convention') continue;
      if (k in RENORM_FIELDS) limits.push(p);
      else this.value(p, `${where}.${k}`, BN_FIELDS[k].check, (x) => BN_FIELDS[k].apply(bn, x as never));
    }
    for (const p of limits) {
      const k = (p.key as { value: 'rmax' | 'dmax' | 'warmup' }).value;
      if (!bn.renorm) this.node(p.key as Node, `${where}.${k}`, `${k} applies to batch renorm only; add renorm: true`);
      else this.value(p, `${where}.${k}`, RENORM_FIELDS[k], (x) => (bn.renorm![k] = x));
    }
    config.bn = bn;
  }

  private bothEpochsAndSteps(map: YAMLMap, path: string): void {
    if (this.has(map, 'epochs') && this.has(map, 'steps'))
      this.node(map.items.find((p) => isScalar(p.key) && p.key.value === 'steps')!.key as Node, path ? `${path}.steps` : 'steps', 'set either epochs or steps, not both');
  }

  // --- YAML helpers ---------------------------------------------------------------------------

  private pairs(map: YAMLMap, path: string): Pair[] {
    return map.items.filter((p) => {
      if (isPair(p) && isScalar(p.key) && typeof p.key.value === 'string') return true;
      this.node((p.key as Node) ?? map, path, 'keys must be plain words');
      return false;
    });
  }

  private keyOf(pair: Pair, path: string, allowed?: string[]): string | undefined {
    const key = (pair.key as { value: string }).value;
    if (allowed && !allowed.includes(key)) return void this.unknownKey(pair, path ? `${path}.${key}` : key, key, allowed);
    return key;
  }

  private has(map: YAMLMap, key: string): boolean {
    return map.items.some((p) => isScalar(p.key) && p.key.value === key);
  }

  private findValue(root: YAMLMap, key: string, value: string): Node | undefined {
    const inMap = (m: YAMLMap): Node | undefined => {
      const p = m.items.find((q) => isScalar(q.key) && q.key.value === key && isScalar(q.value) && String(q.value.value).trim() === value);
      return p?.value as Node | undefined;
    };
    const top = inMap(root);
    if (top) return top;
    const compare = root.items.find((p) => isScalar(p.key) && p.key.value === 'compare')?.value;
    if (isSeq(compare)) for (const item of compare.items) if (isMap(item)) { const n = inMap(item); if (n) return n; }
    return undefined;
  }

  private value<T>(pair: Pair, where: string, check: Check<T>, apply: (v: T) => void): void {
    const node = pair.value as Node | null;
    const raw = node === null ? null : isScalar(node) ? node.value : isSeq(node) ? [] : {};
    const r = check(raw);
    if ('error' in r) this.node(node ?? pair.key, where, r.error);
    else apply(r.value);
  }

  private unknownKey(pair: Pair, where: string, key: string, allowed: string[]): void {
    const near = allowed.find((a) => editDistance(a, key) <= 2);
    this.node(pair.key as Node, where, `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}; expected one of ${allowed.join(', ')}`);
  }

  /** The key node at a dotted path like `compare[1].bn.momentum`, if written in the cell. */
  private locate(root: YAMLMap, path: string): Node | undefined {
    let cur: unknown = root;
    let keyNode: Node | undefined;
    for (const part of path.split('.')) {
      const m = /^(\w+)(?:\[(\d+)\])?$/.exec(part);
      if (!m || !isMap(cur)) return undefined;
      const pair = cur.items.find((p) => isScalar(p.key) && p.key.value === m[1]);
      if (!pair) return undefined;
      keyNode = pair.key as Node;
      cur = pair.value;
      if (m[2] !== undefined) {
        if (!isSeq(cur)) return undefined;
        cur = cur.items[Number(m[2])];
        keyNode = cur as Node;
      }
    }
    return keyNode;
  }

  /** A diagnostic at the key path's node, else at the cell start. */
  private atKey(root: YAMLMap, path: string, message: string, severity: Diagnostic['severity'] = 'error'): void {
    const node = this.locate(root, path);
    if (node) this.node(node, path, message, severity);
    else this.at(0, 0, path, message, severity);
  }

  private nodeOrCell(node: Node | undefined, key: string, message: string): void {
    if (node) this.node(node, key, message);
    else this.at(0, 0, key, message);
  }

  private node(node: unknown, key: string, message: string, severity: Diagnostic['severity'] = 'error'): void {
    const [start, end] = (node as Node | null)?.range ?? [0, 0];
    this.at(start, end, key, message, severity);
  }

  private at(start: number, end: number, key: string, message: string, severity: Diagnostic['severity'] = 'error'): void {
    const { line, col } = this.lines.linePos(start);
    this.diagnostics.push({ severity, message: key ? `${key}: ${message}` : message, key, line, column: col, start, end: Math.max(end, start) });
  }
}

/** Each run at each batch size of the sweep, labelled `label · batch B`, on the same number of training samples. */
function expandSweep(runs: Run[], paths: string[], sweep: SweepSpec): [Run[], string[]] {
  const expanded = runs.flatMap((r, i) =>
    sweep.batches.map((batch) => {
      const config: ExperimentConfig = { ...structuredClone(r.config), name: `${r.label} · batch ${batch}`, batchSize: batch };
      if (sweep.samples !== null) Object.assign(config, { steps: Math.ceil(sweep.samples / batch), epochs: null });
      return { run: { label: config.name, config, sweep: { series: r.label, batch } }, path: paths[i] };
    }),
  );
  return [expanded.map((e) => e.run), expanded.map((e) => e.path)];
}

/** Parses a lab cell's YAML; never throws. */
export function parseLabCell(text: string, deep: DeepChecks = {}): ParseResult {
  return new CellParser(text, deep).parse();
}

/** One line per diagnostic: `error at line 3, column 5: bn.momentum: …`. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${d.severity} at line ${d.line}, column ${d.column}: ${d.message}`).join('\n');
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}
