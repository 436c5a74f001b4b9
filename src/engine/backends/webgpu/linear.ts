/**
 * Matrix products in WGSL: a GEMM C[g][M, N] = A[g][M, K] · B[g][K, N] whose operands are read
 * through WGSL functions (loadA/loadB) and whose results go through one (store), so Linear and
 * the convolutions (implicit GEMM, conv.ts) share it; then Linear and LinearBackward.
 */
import type { KernelSignatures } from '../../ops/kernels';
import type { Tensor } from '../../tensor';
import { activeContext } from './active';
import { grid, u32, type Binding } from './context';

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
}

function declarations(gemm: Gemm): string {
  const params = Object.keys(gemm.params).map((k) => `, ${k}: u32`).join('');
  return `
${gemm.operands.map((o, i) => `@group(0) @binding(${i}) var<storage, ${o.access === 'read' ? 'read' : 'read_write'}> ${o.name}: array<f32>;`).join('\n')}
struct P { M: u32, N: u32, K: u32, G: u32${params} }
@group(0) @binding(${gemm.operands.length}) var<uniform> p: P;
${gemm.helpers ?? ''}
fn loadA(g: u32, m: u32, k: u32) -> f32 { ${gemm.loadA} }
fn loadB(g: u32, k: u32, n: u32) -> f32 { ${gemm.loadB} }
fn store(g: u32, m: u32, n: u32, v: f32) { ${gemm.store} }
`;
}

/** Records the product. */
export function gemm(spec: Gemm): void {
  const { M, N, K, G } = spec;
  activeContext().run({
    key: `gemm:${spec.key}`,
    wgsl: () => `${declarations(spec)}
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.G * p.M * p.N) { return; }
  let n = i % p.N;
  let m = (i / p.N) % p.M;
  let g = i / (p.M * p.N);
  var acc = 0.0;
  for (var k = 0u; k < p.K; k++) { acc = fma(loadA(g, m, k), loadB(g, k, n), acc); }
  store(g, m, n, acc);
}`,
    tensors: spec.operands.map((o) => o.tensor),
    access: spec.operands.map((o) => o.access),
    uniforms: [M, N, K, G, ...Object.values(spec.params)].map(u32),
    groups: grid(G * M * N),
  });
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
    loadA: 'return dy[k * p.M + m];',
    loadB: 'if (n == p.I) { return 1.0; } return x[k * p.I + n];',
    store: 'if (n == p.I) { db[m] = v; } else { dw[m * p.I + n] = v; }',
  });
}

export const linearKernels = {
  Linear: linear,
  LinearBackward: linearBackward,
} satisfies Partial<KernelSignatures>;
