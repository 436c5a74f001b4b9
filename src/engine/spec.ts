/**
 * The model spec: a compact text form of an nn.Sequential, e.g.
 *   conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear(10)
 * Layers are separated by spaces; arguments are positional numbers, key=value pairs or bare flags
 * (`bn(frozen)`, `bn(keras)`). `none` is a value (`bn(momentum=none)`). See LAYER_HELP.
 */
import { UserError } from './errors';
import { BN_DEFAULTS, BatchNorm, KERAS_BN_DEFAULTS, RENORM_DEFAULTS, type BnOptions } from './layers/batchnorm';
import { Conv2d } from './layers/conv';
import type { Layer } from './layers/layer';
import { Linear } from './layers/linear';
import { GroupNorm, LayerNorm } from './layers/norms';
import { Dropout, Flatten, LeakyReLU, Pool2d, ReLU } from './layers/simple';

export const PRESETS: Record<string, string> = {
  /** The blog's ConvNet with a ReLU after the conv and after the first linear. */
  seed: 'conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear',
  /** The blog's ConvNet as written (no ReLU). */
  'seed-exact': 'conv(32,5,pad=2) bn maxpool(2) flatten linear(128) bn linear',
};

export const LAYER_HELP =
  'conv(out,kernel,stride=,pad=,dilation=,groups=,bias=false) | bn(momentum=X|none,eps=,affine=false,track=false,frozen,keras,ghost=,renorm,rmax=,dmax=,warmup=) | ' +
  'relu | leakyrelu(slope=) | maxpool(k,stride=,pad=) | avgpool(k,stride=,pad=) | flatten | linear(out,bias=false) | ' +
  'dropout(p) | layernorm(eps=,affine=false) | groupnorm(groups,eps=,affine=false) | instancenorm(eps=,affine=true)';

export type ArgValue = number | boolean | null;

/** Arguments that may be written bare to mean `=true`, e.g. bn(frozen). */
const FLAGS = ['keras', 'frozen', 'affine', 'track', 'bias', 'renorm'];

export interface LayerSpec {
  kind: string;
  args: ArgValue[];
  kwargs: Record<string, ArgValue>;
  /** The layer's text as written, e.g. "conv(32,5,pad=2)". */
  text: string;
  /** 1-based position in the spec. */
  position: number;
}

/** Where in the spec a layer is, for error messages: `layer 3 "maxpool(2)"`. */
export function where(s: Pick<LayerSpec, 'position' | 'text'>): string {
  return `layer ${s.position} "${s.text}"`;
}

/** Expands a preset name; any other text is returned as is. */
export function resolvePreset(spec: string): string {
  return PRESETS[spec.trim()] ?? spec;
}

/** Splits a spec into layer specs (presets expanded); throws UserError on syntax errors. */
export function parseSpec(spec: string): LayerSpec[] {
  const text = resolvePreset(spec).trim();
  if (!text) throw new UserError('the model spec is empty');
  const words: string[] = [];
  let depth = 0, cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new UserError(`unbalanced ")" in the model spec "${text}"`);
    if (/\s/.test(ch) && depth === 0) {
      if (cur) words.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) throw new UserError(`unbalanced "(" in the model spec "${text}"`);
  if (cur) words.push(cur);
  return words.map((word, i) => parseLayer(word, i + 1));
}

function parseLayer(word: string, position: number): LayerSpec {
  const m = /^([A-Za-z_][\w-]*)(?:\((.*)\))?$/s.exec(word);
  const at = where({ position, text: word });
  if (!m) throw new UserError(`${at}: cannot parse; expected name or name(args)`);
  const spec: LayerSpec = { kind: m[1].toLowerCase(), args: [], kwargs: {}, text: word, position };
  const inner = m[2]?.trim();
  if (!inner) return spec;
  for (const raw of inner.split(',')) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (FLAGS.includes(part.toLowerCase())) setKwarg(spec, part.toLowerCase(), true, at);
      else spec.args.push(parseValue(part, at));
    } else {
      const key = part.slice(0, eq).trim().toLowerCase();
      if (!/^[a-z_]\w*$/.test(key)) throw new UserError(`${at}: bad argument name "${key}"`);
      setKwarg(spec, key, parseValue(part.slice(eq + 1).trim(), at), at);
    }
  }
  return spec;
}

function setKwarg(spec: LayerSpec, key: string, value: ArgValue, at: string): void {
  if (key in spec.kwargs) throw new UserError(`${at}: ${key} is given twice`);
  spec.kwargs[key] = value;
}

function parseValue(v: string, at: string): ArgValue {
  const s = v.toLowerCase();
  if (s === 'none' || s === 'null') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (v === '' || !Number.isFinite(Number(v))) throw new UserError(`${at}: bad value "${v}" (expected a number, true, false or none)`);
  return Number(v);
}

export interface BuildOptions {
  /** Defaults for every bn layer (CLI --bn-*); a layer's own arguments win. */
  bn?: Partial<BnOptions>;
  /** Output size of a bare `linear` (the data's class count). */
  numClasses?: number;
}

/** Reads typed arguments of one layer spec, with errors naming the layer. */
class Args {
  private used = new Set<string>();
  private at: string;
  constructor(private s: LayerSpec, private names: string[]) {
    this.at = where(s);
    if (s.args.length > names.length) {
      throw new UserError(`${this.at}: takes at most ${names.length} positional argument${names.length === 1 ? '' : 's'}${names.length ? ` (${names.join(', ')})` : ''}, got ${s.args.length}`);
    }
  }
  private raw(name: string, aliases: string[] = []): ArgValue | undefined {
    const pos = this.names.indexOf(name);
    for (const k of [name, ...aliases]) {
      if (k in this.s.kwargs) {
        if (pos >= 0 && pos < this.s.args.length) throw new UserError(`${this.at}: ${name} is given twice`);
        this.used.add(k);
        return this.s.kwargs[k];
      }
    }
    return pos >= 0 ? this.s.args[pos] : undefined;
  }
  int(name: string, def: number | undefined, min: number, aliases?: string[]): number {
    const v = this.raw(name, aliases);
    if (v === undefined) {
      if (def === undefined) throw new UserError(`${this.at}: missing argument ${name}`);
      return def;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new UserError(`${this.at}: ${name} must be an integer ≥ ${min}, got ${v}`);
    }
    return v;
  }
  num(name: string, def: number, check: (x: number) => boolean, range: string): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (typeof v !== 'number' || !check(v)) throw new UserError(`${this.at}: ${name} must be ${range}, got ${v}`);
    return v;
  }
  numOrNone(name: string, def: number | null, check: (x: number) => boolean, range: string): number | null {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (v === null) return null;
    if (typeof v !== 'number' || !check(v)) throw new UserError(`${this.at}: ${name} must be ${range} or none, got ${v}`);
    return v;
  }
  bool(name: string, def: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (typeof v !== 'boolean') throw new UserError(`${this.at}: ${name} must be true or false, got ${v}`);
    return v;
  }
  /** Rejects arguments nobody asked for. */
  done(): void {
    const extra = Object.keys(this.s.kwargs).filter((k) => !this.used.has(k));
    if (extra.length) throw new UserError(`${this.at}: unknown argument${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (${this.s.kind} takes ${argHelp(this.s.kind)})`);
  }
}

function argHelp(kind: string): string {
  const entry = LAYER_HELP.split(' | ').find((h) => h === kind || h.startsWith(`${kind}(`));
  return entry && entry.includes('(') ? entry.slice(kind.length) : 'no arguments';
}

const inUnit = (x: number) => x >= 0 && x <= 1;
const positive = (x: number) => x > 0;

const FACTORIES: Record<string, (a: Args, o: BuildOptions, s: LayerSpec) => Layer> = {
  conv: (a) =>
    new Conv2d(a.int('out', undefined, 1), a.int('kernel', undefined, 1), {
      stride: a.int('stride', 1, 1),
      padding: a.int('pad', 0, 0, ['padding']),
      dilation: a.int('dilation', 1, 1),
      groups: a.int('groups', 1, 1),
      bias: a.bool('bias', true),
    }),
  bn: (a, o, s) => {
    const d = { ...BN_DEFAULTS, ...o.bn };
    const keras = a.bool('keras', false);
    const opts: BnOptions = keras
      ? (() => {
          // CLI defaults (PyTorch convention) reach keras layers too, unless the layer gives its own.
          const cli = 'momentum' in s.kwargs ? undefined : o.bn?.momentum;
          if (cli === null) throw new UserError(`${where(s)}: the Keras convention has no cumulative average (momentum none); give bn(keras,momentum=…)`);
          const km = a.num('momentum', cli !== undefined ? 1 - cli : KERAS_BN_DEFAULTS.momentum, inUnit, 'in [0, 1]');
          return { ...d, momentum: cli ?? 1 - km, kerasMomentum: km, eps: a.num('eps', o.bn?.eps ?? KERAS_BN_DEFAULTS.eps, positive, '> 0') };
        })()
      : { ...d, momentum: a.numOrNone('momentum', d.momentum, inUnit, 'in [0, 1]'), eps: a.num('eps', d.eps, positive, '> 0') };
    opts.affine = a.bool('affine', d.affine);
    opts.track = a.bool('track', d.track);
    opts.frozen = a.bool('frozen', d.frozen);
    if ('ghost' in s.kwargs) opts.ghost = a.int('ghost', undefined, 1);
    const renormArgs = ['rmax', 'dmax', 'warmup'].filter((k) => k in s.kwargs);
    if (a.bool('renorm', d.renorm !== undefined)) {
      const r = { ...RENORM_DEFAULTS, ...d.renorm };
      opts.renorm = {
        rmax: a.num('rmax', r.rmax, (x) => x >= 1, '≥ 1'),
        dmax: a.num('dmax', r.dmax, (x) => x >= 0, '≥ 0'),
        warmup: a.int('warmup', r.warmup, 0),
      };
    } else if (renormArgs.length) throw new UserError(`${where(s)}: ${renormArgs.join(', ')} only apply to batch renorm; add renorm, e.g. bn(renorm,${renormArgs[0]}=…)`);
    else delete opts.renorm;
    // Also for options that came as defaults for every bn layer (settings, CLI).
    if (opts.renorm && opts.ghost !== undefined) throw new UserError(`${where(s)}: Ghost BN and batch renorm cannot be combined; use one of ghost=… or renorm`);
    if (opts.renorm && !opts.track) throw new UserError(`${where(s)}: batch renorm corrects towards the running statistics, so it needs track=true`);
    return new BatchNorm(opts);
  },
  relu: () => new ReLU(),
  leakyrelu: (a) => new LeakyReLU(a.num('slope', 0.01, Number.isFinite, 'a number')),
  maxpool: (a) => pool('maxpool', a),
  avgpool: (a) => pool('avgpool', a),
  flatten: () => new Flatten(),
  linear: (a, o, s) => {
    if (s.args.length === 0 && !('out' in s.kwargs) && o.numClasses === undefined) {
      throw new UserError(`${where(s)}: give the number of outputs, e.g. linear(10)`);
    }
    return new Linear(a.int('out', o.numClasses, 1), a.bool('bias', true));
  },
  dropout: (a) => new Dropout(a.num('p', 0.5, (x) => x >= 0 && x < 1, 'in [0, 1)')),
  layernorm: (a) => new LayerNorm(a.num('eps', 1e-5, positive, '> 0'), a.bool('affine', true)),
  groupnorm: (a) => new GroupNorm('groupnorm', a.int('groups', undefined, 1), a.num('eps', 1e-5, positive, '> 0'), a.bool('affine', true)),
  instancenorm: (a) => new GroupNorm('instancenorm', 0, a.num('eps', 1e-5, positive, '> 0'), a.bool('affine', false)),
};

const POSITIONAL: Record<string, string[]> = {
  conv: ['out', 'kernel'],
  leakyrelu: ['slope'],
  maxpool: ['kernel'],
  avgpool: ['kernel'],
  linear: ['out'],
  dropout: ['p'],
  groupnorm: ['groups'],
};

function pool(kind: 'maxpool' | 'avgpool', a: Args): Pool2d {
  const k = a.int('kernel', undefined, 1);
  return new Pool2d(kind, k, a.int('stride', k, 1), a.int('pad', 0, 0, ['padding']));
}

export const LAYER_KINDS = Object.keys(FACTORIES);

/** Creates an (unbuilt) layer from its spec; throws UserError naming the layer. */
export function createLayer(s: LayerSpec, options: BuildOptions = {}): Layer {
  const factory = FACTORIES[s.kind];
  if (!factory) throw new UserError(`${where(s)}: unknown layer "${s.kind}" (known: ${LAYER_KINDS.join(', ')})`);
  const a = new Args(s, POSITIONAL[s.kind] ?? []);
  const layer = factory(a, options, s);
  a.done();
  return layer;
}

/** The spec without its bn layers (--no-bn), keeping the other layers' positions as written. */
export function removeBn(specs: LayerSpec[]): LayerSpec[] {
  return specs.filter((s) => s.kind !== 'bn');
}
