/**
 * Batch, group and layer normalization in WGSL, float32 throughout. Statistics are numerically
 * stable: each thread runs Welford's update over values shifted by a pivot (the channel's or
 * block's first value), and (count, mean, M2) triples merge by Chan et al.'s rule, in workgroup
 * memory and then across workgroups. Layout [N, C, S] (S = 1 for [N, C]).
 *
 * Reductions per channel (channelReduce) run parallel over channels and over N·S in chunks
 * (chunkFor): one pass whose workgroups finish when a channel fits one chunk, else partials and a
 * merge pass (one workgroup per channel); [N, C] with ≤ 1024 rows: one thread per channel.
 * Elementwise passes (channelMap) handle 4 values per thread (vec4) where the layout allows.
 *   batch norm train:    statistics (mean, variances, invStd) → normalize (xhat, y);
 *   batch norm backward: sums of dy, dy·xhat (dbeta, dgamma) → dx;
 *   group / layer norm:  the same over blocks (sample·group, or row) as channels of [1, blocks, D];
 *                        backward: block sums of dy·γ, dy·γ·xhat → dx, then dgamma/dbeta as the
 *                        channel sums over [N, C, S] (group norm) or [rows, D, 1] (layer norm).
 */
import type { KernelSignatures, NormGrads, NormOut } from '../../ops/kernels';
import type { Tensor } from '../../tensor';
import { activeContext } from './active';
import { f32, grid, u32, WG, type Binding, type GpuContext, type Uniform } from './context';

const MAX_GROUPS = 65535;
/**
 * Elements per workgroup in a channel partial pass: 32 per thread; 128 on software adapters, which
 * pay about a millisecond per reducing workgroup (SwiftShader, measured: BN2d statistics of
 * [100, 32, 28, 28] took ~2× less time with the bigger chunks).
 */
const chunkFor = (ctx: GpuContext) => WG * (ctx.adapterInfo.software ? 128 : 32);
/** [N, C] reductions with at most this many rows run one thread per channel. */
const COLUMN_ROWS = 1024;

/** Workgroups for one workgroup per item; the shader's item is wid.x + wid.y·nwg.x. */
function perItem(n: number): [number, number] {
  const x = Math.max(1, Math.min(n, MAX_GROUPS));
  return [x, Math.ceil(n / x)];
}

const scratchByContext = new WeakMap<GpuContext, Map<string, Tensor>>();

/** A device buffer of at least n floats kept for `key` (reused by every later call on this device). */
function scratch(ctx: GpuContext, key: string, n: number): Tensor {
  let m = scratchByContext.get(ctx);
  if (!m) scratchByContext.set(ctx, (m = new Map()));
  let t = m.get(key);
  if (!t || t.size < n) m.set(key, (t = ctx.empty([Math.max(1, n)], 'float32')));
  return t;
}

/** WGSL storage bindings 0..n-1, arrays of f32 unless `typeOf` names another element type. */
const storage = (bindings: [string, Binding][], typeOf: (name: string) => string = () => 'f32') =>
  bindings.map(([name, a], k) => `@group(0) @binding(${k}) var<storage, ${a === 'read' ? 'read' : 'read_write'}> ${name}: array<${typeOf(name)}>;`).join('\n');

/** Chan et al.'s merge of (count, mean, M2), and Welford's update of one by a value. */
const CHAN = /* wgsl */ `
fn combine(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  let n = a.x + b.x;
  if (n == 0.0) { return a; }
  let d = b.y - a.y;
  let f = b.x / n;
  return vec3<f32>(n, a.y + d * f, a.z + b.z + d * d * a.x * f);
}
fn welford(a: vec3<f32>, v: f32) -> vec3<f32> {
  let n = a.x + 1.0;
  let d = v - a.y;
  let mean = a.y + d / n;
  return vec3<f32>(n, mean, a.z + d * (v - mean));
}`;
const SUMS = /* wgsl */ `fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return a + b; }`;

/** Threads that merge WG/LANES values each in the first step of `reduce`. */
const LANES = 16;

/**
 * WGSL: `reduce(t, v)` combines every thread's v over the workgroup (call from uniform control
 * flow) in two steps, LANES threads over strided slots then every thread over the LANES results:
 * three barriers instead of a tree's log2(WG) + 1, which software adapters pay dearly for.
 */
const reduceWorkgroup = (type: string) => /* wgsl */ `
var<workgroup> red: array<${type}, WG>;
fn reduce(t: u32, v: ${type}) -> ${type} {
  red[t] = v;
  workgroupBarrier();
  if (t < ${LANES}u) {
    var a = red[t];
    for (var k = t + ${LANES}u; k < WG; k += ${LANES}u) { a = combine(a, red[k]); }
    red[t] = a;
  }
  workgroupBarrier();
  var total = red[0];
  for (var k = 1u; k < ${LANES}u; k++) { total = combine(total, red[k]); }
  workgroupBarrier();
  return total;
}`;

const ENTRY = '@compute @workgroup_size(WG)\nfn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32)';

/**
 * A per-channel reduction over [N, C, S]: workgroups (chunk of N·S, channel) reduce their chunk;
 * with one chunk per channel they finish it, else they write partials that a merge pass (one
 * workgroup per channel) reduces and finishes.
 */
interface ChannelReduction {
  key: string;
  width: 2 | 3;
  combine: string;
  /**
   * Bound read-only in both passes; the partial pass runs the statement `step` on `acc` for each
   * element index i = (n·C + c)·S + s of channel c.
   */
  inputs: [string, Tensor | null][];
  /** WGSL run by every workgroup of both passes first (may read inputs at channel c). */
  prologue?: string;
  step: string;
  /** Written by `finish`, which thread 0 runs with the channel's `total` (uniforms p.count = N·S, p.eps). */
  outputs: [string, Tensor][];
  finish: string;
  eps?: number;
  /** More uniforms (WGSL field declaration, value), after the fixed ones. */
  fields?: [string, Uniform][];
}

function channelReduce(r: ChannelReduction, N: number, C: number, S: number): void {
  const ctx = activeContext();
  const M = N * S;
  const chunk = Math.max(chunkFor(ctx), Math.ceil(M / MAX_GROUPS / WG) * WG);
  const parts = Math.max(1, Math.ceil(M / chunk));
  const part = scratch(ctx, `norm.partials${r.width}`, C * parts * r.width);
  const type = `vec${r.width}<f32>`;
  const bindings: [string, Binding][] = [
    ...r.inputs.map(([name]): [string, Binding] => [name, 'read']), ['part', 'write'], ...r.outputs.map(([name]): [string, Binding] => [name, 'write'])];
  // Element j of the channel is (n, s) = (j / S, j % S); a step of WG is (stepN, stepS), no division per element.
  const partialLoop = `
  let end = min((wid.x + 1u) * p.chunk, p.m);
  let j0 = wid.x * p.chunk + t;
  var n = j0 / p.s;
  var s = j0 - n * p.s;
  for (var j = j0; j < end; j += WG) {
    let i = (n * p.c + c) * p.s + s;
    ${r.step}
    n += p.stepN;
    s += p.stepS;
    if (s >= p.s) {
      s -= p.s;
      n += 1u;
    }
  }`;
  const mergeLoop = `
  for (var q = t; q < p.parts; q += WG) {
    let o = (c * p.parts + q) * ${r.width}u;
    acc = combine(acc, ${type}(${Array.from({ length: r.width }, (_, k) => `part[o + ${k}u]`).join(', ')}));
  }`;
  // One thread per channel, serial over the rows: for [N, C] (S = 1) with few rows, where a
  // workgroup per channel would leave most threads idle.
  const columnsLoop = `
  let s = 0u;
  for (var n = 0u; n < p.m; n++) {
    let i = n * p.c + c;
    ${r.step}
  }
  let total = acc;
  ${r.finish}`;
  const reduceAndFinish = (merge: boolean) => `
  let total = reduce(t, acc);
  if (t == 0u) {
    if (${merge ? 'true' : 'p.parts == 1u'}) {
      ${r.finish}
    } else {
      let o = (c * p.parts + wid.x) * ${r.width}u;
      for (var k = 0u; k < ${r.width}u; k++) { part[o + k] = total[k]; }
    }
  }`;
  const pass = (mode: 'columns' | 'partials' | 'merge') => ({
    key: `${r.key}.${mode}`,
    wgsl: () => `
${storage(bindings)}
struct P { c: u32, s: u32, m: u32, chunk: u32, parts: u32, stepN: u32, stepS: u32, count: f32, eps: f32, ${(r.fields ?? []).map(([f]) => f).join(', ')} }
@group(0) @binding(${bindings.length}) var<uniform> p: P;
${r.combine}
${mode === 'columns' ? `@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flatIndex(gid, nwg);` : `${reduceWorkgroup(type)}
${ENTRY} {
  let c = wid.y + wid.z * nwg.y;`}
  if (c >= p.c) { return; }
  ${r.prologue ?? ''}
  var acc = ${type}(0.0);
  ${{ columns: columnsLoop, partials: partialLoop + reduceAndFinish(false), merge: mergeLoop + reduceAndFinish(true) }[mode]}
}`,
    tensors: [...r.inputs.map(([, t]) => t), part, ...r.outputs.map(([, t]) => t)],
    access: bindings.map(([, a]) => a),
    uniforms: [
      u32(C), u32(S), u32(M), u32(chunk), u32(parts), u32(Math.floor(WG / S)), u32(WG % S), f32(M), f32(r.eps ?? 0), ...(r.fields ?? []).map(([, u]) => u)],
    groups: mode === 'columns' ? grid(C) : [mode === 'merge' ? 1 : parts, ...perItem(C)] as [number, number, number],
  });
  if (S === 1 && N <= COLUMN_ROWS) {
    ctx.run(pass('columns'));
    return;
  }
  ctx.run(pass('partials'));
  if (parts > 1) ctx.run(pass('merge'));
}

/** dbeta = Σ dy and dgamma = Σ dy·xhat per channel of [N, C, S]. */
function channelGradSums(dy: Tensor, xhat: Tensor, N: number, C: number, S: number, out: NormGrads): void {
  channelReduce({
    key: 'norm.gradSums', width: 2, combine: SUMS,
    inputs: [['dy', dy], ['xhat', xhat]],
    step: 'acc += vec2<f32>(dy[i], dy[i] * xhat[i]);',
    outputs: [['dbeta', out.dbeta], ['dgamma', out.dgamma]],
    finish: 'dbeta[c] = total.x; dgamma[c] = total.y;',
  }, N, C, S);
}

function dims(x: Tensor): { N: number; C: number; S: number } {
  const N = x.shape[0], C = x.shape[1];
  return { N, C, S: N * C === 0 ? 0 : x.size / (N * C) };
}

/** Bit 0: gamma given, bit 1: beta given (null ones are bound to a dummy buffer). */
const affineFlags = (gamma: Tensor | null, beta: Tensor | null) => u32((gamma ? 1 : 0) | (beta ? 2 : 0));

/**
 * Where the elements of a norm live: C channels (batch norm) or blocks (group/layer norm, with N = 1)
 * of S contiguous values per sample; value e of channel/block c has the affine (γ, β) index
 * (c % groups)·runs + e / runLen (batch norm: groups = C, runs = 1, runLen = S, so the index is c).
 */
interface Layout {
  C: number;
  S: number;
  size: number;
  groups: number;
  runs: number;
  runLen: number;
}

function channelLayout(x: Tensor): Layout {
  const { C, S } = dims(x);
  return { C, S, size: x.size, groups: C, runs: 1, runLen: S };
}

/** Group norm: a block per sample and group of C/groups channels; layer norm: a block per row of D values (groups = 1, runLen = 1). */
function blockLayout(x: Tensor, blocks: number, groups: number, runs: number): Layout {
  const D = blocks === 0 ? 0 : x.size / blocks;
  return { C: blocks, S: D, size: x.size, groups, runs, runLen: runs === 0 ? 0 : D / runs };
}

const affineFields = (l: Layout): [string, Uniform][] => [['groups: u32', u32(l.groups)], ['runs: u32', u32(l.runs)], ['runLen: u32', u32(l.runLen)]];

/**
 * A pass over the elements of a layout: one invocation per 4 elements (vec4 loads and stores) when
 * S and runLen are multiples of 4, else per element. `body` runs with `i` (the index in arrays
 * bound as `vectors`, of type T = vec4<f32> or f32), its channel/block c, affine index k,
 * g = γ[k] (1 without γ) and `first(v: T)`, v's first value; the other arrays are per channel or
 * block (f32), and WIDTH is T's width. `fields` (more uniforms) must hold `affine` (affineFlags).
 */
function channelMap(
  key: string, l: Layout, bindings: [string, Tensor | null, Binding][], vectors: string[], fields: [string, Uniform][], body: string,
): void {
  const width = l.S % 4 === 0 && l.runLen % 4 === 0 ? 4 : 1;
  const T = width === 4 ? 'vec4<f32>' : 'f32';
  const n = l.size / width;
  const allFields = [...affineFields(l), ...fields];
  activeContext().run({
    key: `${key}.x${width}`,
    wgsl: () => `
${storage(bindings.map(([name, , a]) => [name, a]), (name) => (vectors.includes(name) ? T : 'f32'))}
struct P { n: u32, c: u32, s: u32, ${allFields.map(([f]) => f).join(', ')} }
@group(0) @binding(${bindings.length}) var<uniform> p: P;
const WIDTH = ${width}u;
fn first(v: ${T}) -> f32 { return v${width === 4 ? '.x' : ''}; }
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.n) { return; }
  let c = (i * WIDTH / p.s) % p.c;
  let k = (c % p.groups) * p.runs + (i * WIDTH) % p.s / p.runLen;
  var g = 1.0;
  if ((p.affine & 1u) != 0u) { g = gamma[k]; }
  ${body}
}`,
    tensors: bindings.map(([, t]) => t),
    access: bindings.map(([, , a]) => a),
    uniforms: [u32(n), u32(l.C), u32(l.S), ...allFields.map(([, u]) => u)],
    groups: grid(n),
  });
}

/**
 * xhat = (x − center)·invStd per channel/block c, y = xhat·γ + β by affine index. With `pivoted`,
 * center is the mean less the pivot x[c·S] and x is shifted by the pivot first: x − pivot is exact
 * near the mean, so xhat keeps its precision when |mean| ≫ std.
 */
function normalize(
  x: Tensor, l: Layout, center: Tensor, pivoted: boolean, invStd: Tensor, gamma: Tensor | null, beta: Tensor | null, out: NormOut,
): void {
  channelMap('norm.normalize', l,
    [['x', x, 'read'], ['center', center, 'read'], ['invStd', invStd, 'read'], ['gamma', gamma, 'read'], ['beta', beta, 'read'], ['xhat', out.xhat, 'write'], ['y', out.y, 'write']],
    ['x', 'xhat', 'y'], [['affine: u32', affineFlags(gamma, beta)], ['pivoted: u32', u32(pivoted ? 1 : 0)]], `
  var b = 0.0;
  if ((p.affine & 2u) != 0u) { b = beta[k]; }
  var v = x[i];
  if (p.pivoted == 1u) { v -= first(x[c * p.s / WIDTH]); }
  let h = (v - center[c]) * invStd[c];
  xhat[i] = h;
  y[i] = h * g + b;`);
}

/** Statistics per channel/block: invStd (biased variance) and the pivot-shifted mean; `more` finishes more outputs. */
function statistics(x: Tensor, N: number, l: Layout, eps: number, invStd: Tensor, more: { outputs: [string, Tensor][]; finish: string } = { outputs: [], finish: '' }): Tensor {
  const shifted = scratch(activeContext(), 'norm.shiftedMean', l.C);
  channelReduce({
    key: `norm.stats${more.outputs.length}`, width: 3, combine: CHAN,
    inputs: [['x', x]],
    prologue: 'let pivot = x[c * p.s];',
    step: 'acc = welford(acc, x[i] - pivot);',
    outputs: [['invStd', invStd], ['shifted', shifted], ...more.outputs],
    finish: `let vb = total.z / p.count;
    invStd[c] = 1.0 / sqrt(vb + p.eps);
    shifted[c] = total.y;
    ${more.finish}`,
    eps,
  }, N, l.C, l.S);
  return shifted;
}

const batchNormTrain: KernelSignatures['BatchNormTrain'] = (x, gamma, beta, eps, out) => {
  const l = channelLayout(x);
  const shifted = statistics(x, x.shape[0], l, eps, out.invStd, {
    outputs: [['mean', out.mean], ['varB', out.varBiased], ['varU', out.varUnbiased]],
    finish: `mean[c] = pivot + total.y;
    varB[c] = vb;
    varU[c] = total.z / (p.count - 1.0);`,
  });
  normalize(x, l, shifted, true, out.invStd, gamma, beta, out);
};

const batchNormInfer: KernelSignatures['BatchNormInfer'] = (x, mean, variance, gamma, beta, eps, out) => {
  const C = variance.size;
  activeContext().run({
    key: 'bn.invStd',
    wgsl: () => `
${storage([['v', 'read'], ['invStd', 'write']])}
struct P { c: u32, eps: f32 }
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flatIndex(gid, nwg);
  if (c < p.c) { invStd[c] = 1.0 / sqrt(v[c] + p.eps); }
}`,
    tensors: [variance, out.invStd],
    access: ['read', 'write'],
    uniforms: [u32(C), f32(eps)],
    groups: grid(C),
  });
  normalize(x, channelLayout(x), mean, false, out.invStd, gamma, beta, out);
};

const batchNormBackward: KernelSignatures['BatchNormBackward'] = (dy, xhat, invStd, gamma, training, out) => {
  const { N, C, S } = dims(dy);
  channelGradSums(dy, xhat, N, C, S, out);
  // training: dx = γ·invStd·(dy − mean(dy) − xhat·mean(dy·xhat)); frozen/eval: dx = γ·invStd·dy
  channelMap('bn.backwardDx', channelLayout(dy),
    [['dy', dy, 'read'], ['xhat', xhat, 'read'], ['invStd', invStd, 'read'], ['gamma', gamma, 'read'], ['dbeta', out.dbeta, 'read'], ['dgamma', out.dgamma, 'read'], ['dx', out.dx, 'write']],
    ['dy', 'xhat', 'dx'], [['affine: u32', affineFlags(gamma, null)], ['training: u32', u32(training ? 1 : 0)], ['count: f32', f32(N * S)]], `
  let scale = g * invStd[c];
  if (p.training == 1u) {
    dx[i] = scale * (dy[i] - dbeta[c] / p.count - xhat[i] * (dgamma[c] / p.count));
  } else {
    dx[i] = scale * dy[i];
  }`);
};

function blockNorm(x: Tensor, l: Layout, gamma: Tensor | null, beta: Tensor | null, eps: number, out: NormOut): void {
  normalize(x, l, statistics(x, 1, l, eps, out.invStd), true, out.invStd, gamma, beta, out);
}

/**
 * dx = invStd·(dy·γ − mean(dy·γ) − xhat·mean(dy·γ·xhat)) per block (sums per block, then dx), and
 * dgamma/dbeta: the channel sums over `affine` ([N, C, S] for group norm, [rows, D, 1] for layer norm).
 */
function blockNormBackward(dy: Tensor, xhat: Tensor, invStd: Tensor, gamma: Tensor | null, l: Layout, affine: [number, number, number], out: NormGrads): void {
  const sums = scratch(activeContext(), 'norm.blockSums', 2 * l.C);
  const flags: [string, Uniform] = ['affine: u32', affineFlags(gamma, null)];
  channelReduce({
    key: 'norm.blockSums', width: 2, combine: SUMS,
    inputs: [['dy', dy], ['xhat', xhat], ['gamma', gamma]],
    step: `var g = dy[i];
    if ((p.affine & 1u) != 0u) { g *= gamma[(c % p.groups) * p.runs + s / p.runLen]; }
    acc += vec2<f32>(g, g * xhat[i]);`,
    outputs: [['sums', sums]],
    finish: 'sums[2u * c] = total.x; sums[2u * c + 1u] = total.y;',
    fields: [...affineFields(l), flags],
  }, 1, l.C, l.S);
  channelMap('norm.blockBackwardDx', l,
    [['dy', dy, 'read'], ['xhat', xhat, 'read'], ['invStd', invStd, 'read'], ['gamma', gamma, 'read'], ['sums', sums, 'read'], ['dx', out.dx, 'write']],
    ['dy', 'xhat', 'dx'], [flags], `
  let m = vec2<f32>(sums[2u * c], sums[2u * c + 1u]) / f32(p.s);
  dx[i] = invStd[c] * (dy[i] * g - m.x - xhat[i] * m.y);`);
  channelGradSums(dy, xhat, ...affine, out);
}

const groupLayout = (x: Tensor, groups: number) => blockLayout(x, x.shape[0] * groups, groups, x.shape[1] / groups);
const layerLayout = (x: Tensor, rows: number) => blockLayout(x, rows, 1, rows === 0 ? 0 : x.size / rows);

export const normKernels = {
  BatchNormTrain: batchNormTrain,
  BatchNormInfer: batchNormInfer,
  BatchNormBackward: batchNormBackward,
  GroupNorm: (x, groups, gamma, beta, eps, out) => blockNorm(x, groupLayout(x, groups), gamma, beta, eps, out),
  GroupNormBackward: (dy, xhat, invStd, gamma, groups, out) => {
    const { N, C, S } = dims(dy);
    blockNormBackward(dy, xhat, invStd, gamma, groupLayout(dy, groups), [N, C, S], out);
  },
  LayerNorm: (x, D, gamma, beta, eps, out) => blockNorm(x, layerLayout(x, D === 0 ? 0 : x.size / D), gamma, beta, eps, out),
  LayerNormBackward: (dy, xhat, invStd, gamma, out) => {
    const R = invStd.size;
    blockNormBackward(dy, xhat, invStd, gamma, layerLayout(dy, R), [R, R === 0 ? 0 : dy.size / R, 1], out);
  },
} satisfies Partial<KernelSignatures>;
