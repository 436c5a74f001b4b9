/**
 * Batch, group and layer normalization in WGSL, float32 throughout. Statistics are numerically
 * stable: each thread runs Welford's update over values shifted by a pivot (the channel's or
 * block's first value), and (count, mean, M2) triples merge by Chan et al.'s rule, in workgroup
 * memory and then across workgroups. Layout [N, C, S] (S = 1 for [N, C]).
 *
 * Batch norm, per channel (channelReduce), parallel over channels and over N·S in chunks (chunkFor):
 *   train:    stats (C × chunks workgroups; a channel in one chunk finishes there) → merge when
 *             chunks > 1 (one workgroup per channel: mean, variances, invStd) → normalize (xhat, y);
 *   backward: sums of dy, dy·xhat (same two-level shape: dbeta, dgamma) → dx;
 *   [N, C] with ≤ 1024 rows: one thread per channel instead of the workgroup passes.
 * The elementwise passes (channelMap) handle 4 values per thread (vec4) when S % 4 == 0.
 * Group and layer norm: one workgroup per block (sample·group, or row) computes its statistics and
 * normalizes it (forward) or its dx (backward); dgamma/dbeta are the batch norm channel sums over
 * the layout [N, C, S] (group norm) or [rows, D, 1] (layer norm).
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
  /** Bound read-only in both passes; the partial pass runs the statement `step` on `acc` for each element index i of channel c. */
  inputs: [string, Tensor][];
  /** WGSL run by every workgroup of both passes first (may read inputs at channel c). */
  prologue?: string;
  step: string;
  /** Written by `finish`, which thread 0 runs with the channel's `total` (uniforms p.count = N·S, p.eps). */
  outputs: [string, Tensor][];
  finish: string;
  eps?: number;
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
struct P { c: u32, s: u32, m: u32, chunk: u32, parts: u32, stepN: u32, stepS: u32, count: f32, eps: f32 }
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
    uniforms: [u32(C), u32(S), u32(M), u32(chunk), u32(parts), u32(Math.floor(WG / S)), u32(WG % S), f32(M), f32(r.eps ?? 0)],
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
 * A pass over the elements of [N, C, S]: one invocation per 4 elements (vec4 loads and stores) when
 * S % 4 == 0, else per element. `body` runs with `i` (the index in arrays bound as `vectors`, of
 * type T = vec4<f32> or f32), its channel c, g = γ[c] (1 without γ) and `first(v: T)`, v's first
 * value; the other arrays are per channel (f32), and WIDTH is T's width. Uniforms: p.n, p.c, p.s,
 * then `fields`, which must hold `affine` (affineFlags).
 */
function channelMap(
  key: string, shape: { C: number; S: number; size: number }, bindings: [string, Tensor | null, Binding][], vectors: string[],
  fields: [string, Uniform][], body: string,
): void {
  const { C, S, size } = shape;
  const width = S % 4 === 0 ? 4 : 1;
  const T = width === 4 ? 'vec4<f32>' : 'f32';
  const n = size / width;
  activeContext().run({
    key: `${key}.x${width}`,
    wgsl: () => `
${storage(bindings.map(([name, , a]) => [name, a]), (name) => (vectors.includes(name) ? T : 'f32'))}
struct P { n: u32, c: u32, s: u32, ${fields.map(([f]) => f).join(', ')} }
@group(0) @binding(${bindings.length}) var<uniform> p: P;
const WIDTH = ${width}u;
fn first(v: ${T}) -> f32 { return v${width === 4 ? '.x' : ''}; }
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.n) { return; }
  let c = (i * WIDTH / p.s) % p.c;
  var g = 1.0;
  if ((p.affine & 1u) != 0u) { g = gamma[c]; }
  ${body}
}`,
    tensors: bindings.map(([, t]) => t),
    access: bindings.map(([, , a]) => a),
    uniforms: [u32(n), u32(C), u32(S), ...fields.map(([, u]) => u)],
    groups: grid(n),
  });
}

/**
 * xhat = (x − center)·invStd, y = xhat·γ + β, per channel of [N, C, S]. With `pivoted`, center is
 * the mean less the channel's pivot x[c·S] and x is shifted by the pivot first: x − pivot is exact
 * near the mean, so xhat keeps its precision when |mean| ≫ std.
 */
function normalizeChannels(
  x: Tensor, center: Tensor, pivoted: boolean, invStd: Tensor, gamma: Tensor | null, beta: Tensor | null, out: NormOut,
): void {
  channelMap('bn.normalize', { ...dims(x), size: x.size },
    [['x', x, 'read'], ['center', center, 'read'], ['invStd', invStd, 'read'], ['gamma', gamma, 'read'], ['beta', beta, 'read'], ['xhat', out.xhat, 'write'], ['y', out.y, 'write']],
    ['x', 'xhat', 'y'], [['affine: u32', affineFlags(gamma, beta)], ['pivoted: u32', u32(pivoted ? 1 : 0)]], `
  var b = 0.0;
  if ((p.affine & 2u) != 0u) { b = beta[c]; }
  var v = x[i];
  if (p.pivoted == 1u) { v -= first(x[c * p.s / WIDTH]); }
  let h = (v - center[c]) * invStd[c];
  xhat[i] = h;
  y[i] = h * g + b;`);
}

const batchNormTrain: KernelSignatures['BatchNormTrain'] = (x, gamma, beta, eps, out) => {
  const { N, C, S } = dims(x);
  const shifted = scratch(activeContext(), 'bn.shiftedMean', C);
  channelReduce({
    key: 'bn.stats', width: 3, combine: CHAN,
    inputs: [['x', x]],
    prologue: 'let pivot = x[c * p.s];',
    step: 'acc = welford(acc, x[i] - pivot);',
    outputs: [['mean', out.mean], ['varB', out.varBiased], ['varU', out.varUnbiased], ['invStd', out.invStd], ['shifted', shifted]],
    finish: `let vb = total.z / p.count;
    mean[c] = pivot + total.y;
    shifted[c] = total.y;
    varB[c] = vb;
    varU[c] = total.z / (p.count - 1.0);
    invStd[c] = 1.0 / sqrt(vb + p.eps);`,
    eps,
  }, N, C, S);
  normalizeChannels(x, shifted, true, out.invStd, gamma, beta, out);
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
  normalizeChannels(x, mean, false, out.invStd, gamma, beta, out);
};

const batchNormBackward: KernelSignatures['BatchNormBackward'] = (dy, xhat, invStd, gamma, training, out) => {
  const { N, C, S } = dims(dy);
  channelGradSums(dy, xhat, N, C, S, out);
  // training: dx = γ·invStd·(dy − mean(dy) − xhat·mean(dy·xhat)); frozen/eval: dx = γ·invStd·dy
  channelMap('bn.backwardDx', { C, S, size: dy.size },
    [['dy', dy, 'read'], ['xhat', xhat, 'read'], ['invStd', invStd, 'read'], ['gamma', gamma, 'read'], ['dbeta', out.dbeta, 'read'], ['dgamma', out.dgamma, 'read'], ['dx', out.dx, 'write']],
    ['dy', 'xhat', 'dx'], [['affine: u32', affineFlags(gamma, null)], ['training: u32', u32(training ? 1 : 0)], ['count: f32', f32(N * S)]], `
  let k = g * invStd[c];
  if (p.training == 1u) {
    dx[i] = k * (dy[i] - dbeta[c] / p.count - xhat[i] * (dgamma[c] / p.count));
  } else {
    dx[i] = k * dy[i];
  }`);
};

/**
 * R contiguous blocks of D = runs·runLen values, statistics per block; the affine index of a value
 * at offset e of block r is (r % groups)·runs + e / runLen (see the CPU backend's Blocks).
 */
interface Blocks {
  R: number;
  runs: number;
  runLen: number;
  groups: number;
}

const blockUniforms = (b: Blocks): Uniform[] => [u32(b.R), u32(b.runs * b.runLen), u32(b.runs), u32(b.runLen), u32(b.groups)];
const BLOCK_HEAD = /* wgsl */ `
  let r = wid.x + wid.y * nwg.x;
  if (r >= p.r) { return; }
  let start = r * p.d;
  let base = (r % p.groups) * p.runs;`;

function normalizeBlocks(x: Tensor, b: Blocks, gamma: Tensor | null, beta: Tensor | null, eps: number, out: NormOut): void {
  activeContext().run({
    key: 'norm.blocks',
    wgsl: () => `
${storage([['x', 'read'], ['gamma', 'read'], ['beta', 'read'], ['xhat', 'write'], ['y', 'write'], ['invStd', 'write']])}
struct P { r: u32, d: u32, runs: u32, runLen: u32, groups: u32, affine: u32, eps: f32 }
@group(0) @binding(6) var<uniform> p: P;
${CHAN}
${reduceWorkgroup('vec3<f32>')}
${ENTRY} {${BLOCK_HEAD}
  let pivot = x[start];
  var acc = vec3<f32>(0.0);
  for (var e = t; e < p.d; e += WG) { acc = welford(acc, x[start + e] - pivot); }
  let total = reduce(t, acc);
  let inv = 1.0 / sqrt(total.z / f32(p.d) + p.eps);
  if (t == 0u) { invStd[r] = inv; }
  for (var e = t; e < p.d; e += WG) {
    let k = base + e / p.runLen;
    var g = 1.0;
    var b = 0.0;
    if ((p.affine & 1u) != 0u) { g = gamma[k]; }
    if ((p.affine & 2u) != 0u) { b = beta[k]; }
    let h = (x[start + e] - pivot - total.y) * inv;
    xhat[start + e] = h;
    y[start + e] = h * g + b;
  }
}`,
    tensors: [x, gamma, beta, out.xhat, out.y, out.invStd],
    access: ['read', 'read', 'read', 'write', 'write', 'write'],
    uniforms: [...blockUniforms(b), affineFlags(gamma, beta), f32(eps)],
    groups: perItem(b.R),
  });
}

/** dx = invStd·(dy·γ − mean(dy·γ) − xhat·mean(dy·γ·xhat)) per block. */
function normalizeBlocksBackward(dy: Tensor, xhat: Tensor, invStd: Tensor, b: Blocks, gamma: Tensor | null, dx: Tensor): void {
  activeContext().run({
    key: 'norm.blocksBackward',
    wgsl: () => `
${storage([['dy', 'read'], ['xhat', 'read'], ['invStd', 'read'], ['gamma', 'read'], ['dx', 'write']])}
struct P { r: u32, d: u32, runs: u32, runLen: u32, groups: u32, affine: u32 }
@group(0) @binding(5) var<uniform> p: P;
${SUMS}
${reduceWorkgroup('vec2<f32>')}
fn gammaAt(k: u32) -> f32 {
  if ((p.affine & 1u) != 0u) { return gamma[k]; }
  return 1.0;
}
${ENTRY} {${BLOCK_HEAD}
  var acc = vec2<f32>(0.0);
  for (var e = t; e < p.d; e += WG) {
    let g = gammaAt(base + e / p.runLen) * dy[start + e];
    acc += vec2<f32>(g, g * xhat[start + e]);
  }
  let total = reduce(t, acc) / f32(p.d);
  let inv = invStd[r];
  for (var e = t; e < p.d; e += WG) {
    let g = gammaAt(base + e / p.runLen);
    dx[start + e] = inv * (dy[start + e] * g - total.x - xhat[start + e] * total.y);
  }
}`,
    tensors: [dy, xhat, invStd, gamma, dx],
    access: ['read', 'read', 'read', 'read', 'write'],
    uniforms: [...blockUniforms(b), affineFlags(gamma, null)],
    groups: perItem(b.R),
  });
}

function groupBlocks(x: Tensor, groups: number): Blocks {
  const { N, C, S } = dims(x);
  return { R: N * groups, runs: C / groups, runLen: S, groups };
}

function layerBlocks(x: Tensor, D: number): Blocks {
  return { R: D === 0 ? 0 : x.size / D, runs: D, runLen: 1, groups: 1 };
}

export const normKernels = {
  BatchNormTrain: batchNormTrain,
  BatchNormInfer: batchNormInfer,
  BatchNormBackward: batchNormBackward,
  GroupNorm: (x, groups, gamma, beta, eps, out) => normalizeBlocks(x, groupBlocks(x, groups), gamma, beta, eps, out),
  GroupNormBackward: (dy, xhat, invStd, gamma, groups, out) => {
    const { N, C, S } = dims(dy);
    normalizeBlocksBackward(dy, xhat, invStd, groupBlocks(dy, groups), gamma, out.dx);
    channelGradSums(dy, xhat, N, C, S, out);
  },
  LayerNorm: (x, D, gamma, beta, eps, out) => normalizeBlocks(x, layerBlocks(x, D), gamma, beta, eps, out),
  LayerNormBackward: (dy, xhat, invStd, gamma, out) => {
    const R = invStd.size, D = R === 0 ? 0 : dy.size / R;
    normalizeBlocksBackward(dy, xhat, invStd, layerBlocks(dy, D), gamma, out.dx);
    channelGradSums(dy, xhat, R, D, 1, out);
  },
} satisfies Partial<KernelSignatures>;
