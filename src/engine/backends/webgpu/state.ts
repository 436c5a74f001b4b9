/** State updates in WGSL: BN running statistics and the SGD/Adam steps (one invocation per element, f32). */
import type { AdamStepAttrs, KernelSignatures, SgdStepAttrs } from '../../ops/kernels';
import type { Tensor } from '../../tensor';
import { activeContext } from './active';
import { f32, grid, u32 } from './context';

function batchNormRunningStats(
  mean: Tensor, varUnbiased: Tensor, runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Tensor, momentum: number | null,
): void {
  const C = mean.size;
  // Every invocation reads the old count; numBatchesTracked itself is bumped by a one-thread pass after.
  activeContext().run({
    key: 'bnRunningStats',
    wgsl: () => `
@group(0) @binding(0) var<storage, read> mean: array<f32>;
@group(0) @binding(1) var<storage, read> varU: array<f32>;
@group(0) @binding(2) var<storage, read_write> rm: array<f32>;
@group(0) @binding(3) var<storage, read_write> rv: array<f32>;
@group(0) @binding(4) var<storage, read> nbt: array<f32>;
struct P { c: u32, cumulative: u32, momentum: f32 }
@group(0) @binding(5) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flatIndex(gid, nwg);
  if (c >= p.c) { return; }
  var m = p.momentum;
  if (p.cumulative == 1u) { m = 1.0 / (nbt[0] + 1.0); }
  rm[c] = m * mean[c] + (1.0 - m) * rm[c];
  rv[c] = m * varU[c] + (1.0 - m) * rv[c];
}`,
    tensors: [mean, varUnbiased, runningMean, runningVar, numBatchesTracked],
    access: ['read', 'read', 'write', 'write', 'read'],
    uniforms: [u32(C), u32(momentum === null ? 1 : 0), f32(momentum ?? 0)],
    groups: grid(C),
  });
  activeContext().run({
    key: 'bnCount',
    wgsl: () => `
@group(0) @binding(0) var<storage, read_write> nbt: array<f32>;
struct P { unused: u32 }
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(1)
fn main() { nbt[0] = nbt[0] + 1.0; }`,
    tensors: [numBatchesTracked],
    access: ['write'],
    uniforms: [u32(0)],
    groups: [1],
  });
}

function sgdStep(param: Tensor, grad: Tensor, buf: Tensor | null, a: SgdStepAttrs): void {
  const n = param.size;
  activeContext().run({
    key: 'sgdStep',
    wgsl: () => `
@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> buf: array<f32>;
struct P { n: u32, hasBuf: u32, first: u32, nesterov: u32, lr: f32, mu: f32, dampening: f32, wd: f32 }
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.n) { return; }
  var d = g[i] + p.wd * w[i];
  if (p.hasBuf == 1u) {
    var b = d;
    if (p.first == 0u) { b = p.mu * buf[i] + (1.0 - p.dampening) * d; }
    buf[i] = b;
    if (p.nesterov == 1u) { d = d + p.mu * b; } else { d = b; }
  }
  w[i] = w[i] - p.lr * d;
}`,
    tensors: [param, grad, buf],
    access: ['write', 'read', 'write'],
    uniforms: [u32(n), u32(buf ? 1 : 0), u32(a.first ? 1 : 0), u32(a.nesterov ? 1 : 0), f32(a.lr), f32(a.momentum), f32(a.dampening), f32(a.weightDecay)],
    groups: grid(n),
  });
}

function adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, a: AdamStepAttrs): void {
  const n = param.size;
  activeContext().run({
    key: 'adamStep',
    wgsl: () => `
@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
struct P { n: u32, decoupled: u32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, stepSize: f32, bc2Sqrt: f32 }
@group(0) @binding(4) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.n) { return; }
  var gi = g[i];
  var wi = w[i];
  if (p.decoupled == 1u) { wi = wi * (1.0 - p.lr * p.wd); } else { gi = gi + p.wd * wi; }
  let mi = m[i] + (gi - m[i]) * (1.0 - p.b1);
  let vi = v[i] * p.b2 + (1.0 - p.b2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  w[i] = wi - p.stepSize * (mi / (sqrt(vi) / p.bc2Sqrt + p.eps));
}`,
    tensors: [param, grad, m, v],
    access: ['write', 'read', 'write', 'write'],
    uniforms: [u32(n), u32(a.decoupled ? 1 : 0), f32(a.lr), f32(a.beta1), f32(a.beta2), f32(a.eps), f32(a.weightDecay), f32(a.stepSize), f32(a.bc2Sqrt)],
    groups: grid(n),
  });
}

export const stateKernels = {
  BatchNormRunningStats: batchNormRunningStats,
  SgdStep: sgdStep,
  AdamStep: adamStep,
} satisfies Partial<KernelSignatures>;
