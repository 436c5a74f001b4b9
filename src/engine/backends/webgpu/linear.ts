/**
 * Matrix products in WGSL: a GEMM C[g][M, N] = A[g][M, K] · B[g][K, N] whose operands are read
 * through WGSL functions (loadA/loadB) and whose results go through one (store), so Linear and
 * the convolutions (implicit GEMM, conv.ts) share it; then Linear and LinearBackward.
 */
import type { KernelSignatures } from '../../ops/kernels';
import type { Tensor } from '../../tensor';
import { activeContext } from './active';
import { grid, u32, type Binding, type GpuContext } from './context';

export interface GemmOperand {
  name: string;
  tensor: Tensor | null;
  access: Binding;
}

export interface Gemm {
  /** Shader key: the loaders and the store differ per key. */
  key: string;
  M: number;
  N: number;
  K: number;
  /** Independent products (conv groups), g = 0..G-1. */
  G: number;
  /** Storage arrays (f32) the functions read and write, by name. */
  operands: GemmOperand[];
  /** Extra u32 uniforms, visible as p.<name>. */
  params: Record<string, number>;
  /** WGSL functions the bodies below call. */
  helpers?: string;
  /** WGSL bodies of fn loadA(g, m, k) -> f32, fn loadB(g, k, n) -> f32 (called with m < M, k < K, n < N) and fn store(g, m, n, v: f32). */
  loadA: string;
  loadB: string;
  store: string;
  /**
   * B's element (k, n) from a value per row k and a value per column n (an im2col filter tap and
   * output pixel), each computed once per tile into workgroup memory instead of once per element:
   * their WGSL type and the bodies of fn rowB(g, k) and fn colB(g, n); loadB gets them as row and col.
   */
  indexB?: { type: string; row: string; col: string };
  /** The index along which A (B) is contiguous in memory: neighbouring threads load neighbours along it (default k for A, n for B). */
  fastA?: 'm' | 'k';
  fastB?: 'k' | 'n';
}

/**
 * A workgroup of tx×ty threads computes a (ty·tm)×(tx·tn) tile of C, each thread a tm×tn block
 * (rows ty apart, columns tx apart, so neighbouring threads touch neighbouring values), from
 * A and B tiles staged through workgroup memory bk values of K at a time.
 */
interface Tiling {
  name: string;
  tx: number;
  ty: number;
  tm: number;
  tn: number;
  bk: number;
}

const TILINGS: Tiling[] = [
  { name: '4x256', tx: 64, ty: 4, tm: 1, tn: 4, bk: 8 },
  { name: '16x256', tx: 64, ty: 4, tm: 4, tn: 4, bk: 8 },
  { name: '32x128', tx: 32, ty: 8, tm: 4, tn: 4, bk: 16 },
  { name: '64x64', tx: 16, ty: 16, tm: 4, tn: 4, bk: 16 },
];
const TALL: Tiling = { name: '256x16', tx: 4, ty: 64, tm: 4, tn: 4, bk: 8 };
const SMALL: Tiling = { name: '32x32', tx: 16, ty: 16, tm: 2, tn: 2, bk: 16 };

/** The tiling that wastes least on M rows (and on N columns when those are few). */
function tilingFor(M: number, N: number): Tiling {
  if (N <= 16 && M > 32) return TALL;
  if (N <= 32 && M > 16 && M <= 32) return SMALL;
  return TILINGS.find((t) => M <= t.ty * t.tm) ?? TILINGS[TILINGS.length - 1];
}

/** Workgroups to keep a GPU busy: fewer output tiles than this split K into partial sums. */
const TARGET_GROUPS = 256;
/** Values of K per partial sum, at least (so the extra pass stays small). */
const MIN_SPLIT_K = 256;

function declarations(gemm: Gemm, split: boolean): string {
  const params = Object.keys(gemm.params).map((k) => `, ${k}: u32`).join('');
  const n = gemm.operands.length;
  const ix = gemm.indexB;
  return `
${gemm.operands.map((o, i) => `@group(0) @binding(${i}) var<storage, ${o.access === 'read' ? 'read' : 'read_write'}> ${o.name}: array<f32>;`).join('\n')}
${split ? `@group(0) @binding(${n}) var<storage, read_write> partial: array<f32>;` : ''}
struct P { M: u32, N: u32, K: u32, G: u32, S: u32, kSplit: u32, tilesM: u32, tilesN: u32${params} }
@group(0) @binding(${split ? n + 1 : n}) var<uniform> p: P;
${gemm.helpers ?? ''}
fn loadA(g: u32, m: u32, k: u32) -> f32 { ${gemm.loadA} }
${ix ? `fn rowB(g: u32, k: u32) -> ${ix.type} { ${ix.row} }
fn colB(g: u32, n: u32) -> ${ix.type} { ${ix.col} }` : ''}
fn loadB(g: u32, k: u32, n: u32${ix ? `, row: ${ix.type}, col: ${ix.type}` : ''}) -> f32 { ${gemm.loadB} }
fn store(g: u32, m: u32, n: u32, v: f32) { ${gemm.store} }
`;
}

/** The tiled product; with `split`, tile (g, s) writes its partial sum over K range s into partial[s][g][M][N]. */
function tiledShader(gemm: Gemm, t: Tiling, split: boolean): string {
  const ix = gemm.indexB;
  const aIdx = gemm.fastA === 'm' ? 'let m = i % BM; let k = i / BM;' : 'let k = i % BK; let m = i / BK;';
  const bIdx = gemm.fastB === 'k' ? 'let k = i % BK; let n = i / BK;' : 'let n = i % BN; let k = i / BN;';
  const write = split ? 'partial[((s * p.G + g) * p.M + m) * p.N + n] = acc[i * TN + j];' : 'store(g, m, n, acc[i * TN + j]);';
  return `${declarations(gemm, split)}
const TX = ${t.tx}u;
const TY = ${t.ty}u;
const TM = ${t.tm}u;
const TN = ${t.tn}u;
const BK = ${t.bk}u;
const BM = TY * TM;
const BN = TX * TN;
var<workgroup> As: array<f32, ${t.bk * t.ty * t.tm}>;
var<workgroup> Bs: array<f32, ${t.bk * t.tx * t.tn}>;
${ix ? `var<workgroup> rows: array<${ix.type}, ${t.bk}>;
var<workgroup> cols: array<${ix.type}, ${t.tx * t.tn}>;` : ''}
@compute @workgroup_size(${t.tx}, ${t.ty})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let tile = wid.x + wid.y * nwg.x;
  if (tile >= p.tilesM * p.tilesN * p.G * p.S) { return; }
  let n0 = (tile % p.tilesN) * BN;
  let m0 = ((tile / p.tilesN) % p.tilesM) * BM;
  let g = (tile / (p.tilesN * p.tilesM)) % p.G;
  let s = tile / (p.tilesN * p.tilesM * p.G);
  let k0 = s * p.kSplit;
  let k1 = min(p.K, k0 + p.kSplit);
${ix ? '  if (tid < BN && n0 + tid < p.N) { cols[tid] = colB(g, n0 + tid); }' : ''}
  var acc: array<f32, ${t.tm * t.tn}>;
  for (var kt = k0; kt < k1; kt += BK) {
${ix ? `    if (tid < BK && kt + tid < k1) { rows[tid] = rowB(g, kt + tid); }
    workgroupBarrier();` : ''}
    for (var i = tid; i < BM * BK; i += TX * TY) {
      ${aIdx}
      var v = 0.0;
      if (m0 + m < p.M && kt + k < k1) { v = loadA(g, m0 + m, kt + k); }
      As[k * BM + m] = v;
    }
    for (var i = tid; i < BK * BN; i += TX * TY) {
      ${bIdx}
      var v = 0.0;
      if (n0 + n < p.N && kt + k < k1) { v = loadB(g, kt + k, n0 + n${ix ? ', rows[k], cols[n]' : ''}); }
      Bs[k * BN + n] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<f32, ${t.tm}>;
      for (var i = 0u; i < TM; i++) { a[i] = As[kk * BM + lid.y + i * TY]; }
      for (var j = 0u; j < TN; j++) {
        let b = Bs[kk * BN + lid.x + j * TX];
        for (var i = 0u; i < TM; i++) { acc[i * TN + j] = fma(a[i], b, acc[i * TN + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let m = m0 + lid.y + i * TY;
    for (var j = 0u; j < TN; j++) {
      let n = n0 + lid.x + j * TX;
      if (m < p.M && n < p.N) { ${write} }
    }
  }
}`;
}

/** Sums the S partial products in order and stores them. */
function reduceShader(gemm: Gemm): string {
  return `${declarations(gemm, true)}
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  let size = p.G * p.M * p.N;
  if (i >= size) { return; }
  var v = 0.0;
  for (var s = 0u; s < p.S; s++) { v += partial[s * size + i]; }
  store(i / (p.M * p.N), (i / p.N) % p.M, i % p.N, v);
}`;
}

const scratchOf = new WeakMap<GpuContext, Tensor>();

/** A device buffer of at least `size` floats for partial sums, one per context (dispatches run in order, so GEMMs share it). */
function scratch(ctx: GpuContext, size: number): Tensor {
  let t = scratchOf.get(ctx);
  if (!t || t.size < size) {
    t = ctx.empty([size], 'float32');
    scratchOf.set(ctx, t);
  }
  return t;
}

/**
 * Records C = A·B: a tiled product, split over K into partial sums (reduced by a second pass in a
 * fixed order, never with atomics) when there are too few output tiles to fill the GPU.
 */
export function gemm(spec: Gemm): void {
  const ctx = activeContext();
  const { M, N, K, G } = spec;
  const t = tilingFor(M, N);
  const tilesM = Math.ceil(M / (t.ty * t.tm)), tilesN = Math.ceil(N / (t.tx * t.tn));
  const tiles = tilesM * tilesN * G;
  const splits = Math.max(1, Math.min(Math.floor(K / MIN_SPLIT_K), Math.ceil(TARGET_GROUPS / Math.max(1, tiles))));
  const kSplit = Math.max(1, Math.ceil(K / splits / t.bk)) * t.bk;
  const S = Math.max(1, Math.ceil(K / kSplit));
  const split = S > 1;
  const uniforms = [M, N, K, G, S, kSplit, tilesM, tilesN, ...Object.values(spec.params)].map(u32);
  const tensors = spec.operands.map((o) => o.tensor);
  const access = spec.operands.map((o) => o.access);
  const partial = split ? scratch(ctx, S * G * M * N) : null;
  const key = `gemm:${spec.key}:${t.name}:${spec.fastA ?? 'k'}${spec.fastB ?? 'n'}`;
  const groups = Math.max(1, tiles * S);
  const x = Math.min(groups, 65535);
  ctx.run({
    key: `${key}${split ? ':split' : ''}`,
    wgsl: () => tiledShader(spec, t, split),
    tensors: partial ? [...tensors, partial] : tensors,
    access: partial ? [...access, 'write'] : access,
    uniforms,
    groups: [x, Math.ceil(groups / x)],
  });
  if (partial) {
    ctx.run({ key: `${key}:reduce`, wgsl: () => reduceShader(spec), tensors: [...tensors, partial], access: [...access, 'write'], uniforms, groups: grid(G * M * N) });
  }
}

function linear(x: Tensor, w: Tensor, b: Tensor | null, y: Tensor): void {
  const [N, I] = x.shape;
  const O = w.shape[0];
  // y[N, O] = x[N, I] · wᵀ + b
  gemm({
    key: 'linear', M: N, N: O, K: I, G: 1,
    operands: [{ name: 'x', tensor: x, access: 'read' }, { name: 'w', tensor: w, access: 'read' }, { name: 'b', tensor: b, access: 'read' }, { name: 'y', tensor: y, access: 'write' }],
    params: { hasBias: b ? 1 : 0 },
    loadA: 'return x[m * p.K + k];',
    fastB: 'k',
    loadB: 'return w[n * p.K + k];',
    store: 'var bias = 0.0; if (p.hasBias == 1u) { bias = b[n]; } y[m * p.N + n] = v + bias;',
  });
}

function linearBackward(dy: Tensor, x: Tensor, w: Tensor, dx: Tensor | null, dw: Tensor, db: Tensor): void {
  const [N, I] = x.shape;
  const O = w.shape[0];
  // dx[N, I] = dy[N, O] · w[O, I]
  if (dx) {
    gemm({
      key: 'linearDx', M: N, N: I, K: O, G: 1,
      operands: [{ name: 'dy', tensor: dy, access: 'read' }, { name: 'w', tensor: w, access: 'read' }, { name: 'dx', tensor: dx, access: 'write' }],
      params: {},
      loadA: 'return dy[m * p.K + k];',
      loadB: 'return w[k * p.N + n];',
      store: 'dx[m * p.N + n] = v;',
    });
  }
  // [dw | db][O, I+1] = dyᵀ · [x | 1]: the column of ones makes db = Σ dy come out of the same product.
  gemm({
    key: 'linearDw', M: O, N: I + 1, K: N, G: 1,
    operands: [{ name: 'dy', tensor: dy, access: 'read' }, { name: 'x', tensor: x, access: 'read' }, { name: 'dw', tensor: dw, access: 'write' }, { name: 'db', tensor: db, access: 'write' }],
    params: { I },
    fastA: 'm',
    loadA: 'return dy[k * p.M + m];',
    loadB: 'if (n == p.I) { return 1.0; } return x[k * p.I + n];',
    store: 'if (n == p.I) { db[m] = v; } else { dw[m * p.I + n] = v; }',
  });
}

export const linearKernels = {
  Linear: linear,
  LinearBackward: linearBackward,
} satisfies Partial<KernelSignatures>;
