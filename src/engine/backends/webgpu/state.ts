/** State updates in WGSL: BN running statistics and the SGD/Adam steps (one invocation per element, f32). */
import type { AdamStepAttrs, BatchRenormAttrs, BatchRenormOut, KernelSignatures, SgdStepAttrs } from '../../ops/kernels';
import type { Tensor } from '../../tensor';
import { activeContext } from './active';
import { f32, grid, u32 } from './context';

function batchNormRunningStats(
  mean: Tensor, varUnbiased: Tensor, runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Tensor, momentum: number | null,
): void {
  const C = runningMean.size, K = mean.size / C;
  // Every invocation reads the old count; numBatchesTracked itself is bumped by a one-thread pass after.
  activeContext().run({
    key: 'bnRunningStats',
    wgsl: () => `
@group(0) @binding(0) var<storage, read> mean: array<f32>;
@group(0) @binding(1) var<storage, read> varU: array<f32>;
@group(0) @binding(2) var<storage, read_write> rm: array<f32>;
@group(0) @binding(3) var<storage, read_write> rv: array<f32>;
@group(0) @binding(4) var<storage, read> nbt: array<f32>;
struct P { c: u32, rows: u32, cumulative: u32, momentum: f32 }
@group(0) @binding(5) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flatIndex(gid, nwg);
  if (c >= p.c) { return; }
  var m = p.momentum;
  var a = rm[c];
  var b = rv[c];
  for (var k = 0u; k < p.rows; k++) {
    if (p.cumulative == 1u) { m = 1.0 / (nbt[0] + f32(k) + 1.0); }
    a = m * mean[k * p.c + c] + (1.0 - m) * a;
    b = m * varU[k * p.c + c] + (1.0 - m) * b;
  }
  rm[c] = a;
  rv[c] = b;
}`,
    tensors: [mean, varUnbiased, runningMean, runningVar, numBatchesTracked],
    access: ['read', 'read', 'write', 'write', 'read'],
    uniforms: [u32(C), u32(K), u32(momentum === null ? 1 : 0), f32(momentum ?? 0)],
    groups: grid(C),
  });
  activeContext().run({
    key: 'bnCount',
    wgsl: () => `
@group(0) @binding(0) var<storage, read_write> nbt: array<f32>;
struct P { rows: f32 }
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(1)
fn main() { nbt[0] = nbt[0] + p.rows; }`,
    tensors: [numBatchesTracked],
    access: ['write'],
    uniforms: [f32(K)],
    groups: [1],
  });
}

/**
 * Batch Renormalization's r and d per channel (kernels.ts), the ramp's f computed from the count on
 * the device; then the mean and variance for BatchNormInfer (two passes: at most 8 storage buffers each).
 */
function batchRenormCorrection(
  mean: Tensor, varBiased: Tensor, runningMean: Tensor, runningVar: Tensor, numBatchesTracked: Tensor, a: BatchRenormAttrs, out: BatchRenormOut,
): void {
  const C = mean.size;
  const ctx = activeContext();
  ctx.run({
    key: 'batchRenormRD',
    wgsl: () => `
@group(0) @binding(0) var<storage, read> mean: array<f32>;
@group(0) @binding(1) var<storage, read> varB: array<f32>;
@group(0) @binding(2) var<storage, read> rm: array<f32>;
@group(0) @binding(3) var<storage, read> rv: array<f32>;
@group(0) @binding(4) var<storage, read> nbt: array<f32>;
@group(0) @binding(5) var<storage, read_write> r: array<f32>;
@group(0) @binding(6) var<storage, read_write> d: array<f32>;
struct P { c: u32, eps: f32, rmax: f32, dmax: f32, warmup: f32 }
@group(0) @binding(7) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flatIndex(gid, nwg);
  if (c >= p.c) { return; }
  var f = 1.0;
  if (p.warmup > 0.0) { f = min(1.0, nbt[0] / p.warmup); }
  let rmax = 1.0 + (p.rmax - 1.0) * f;
  let sigma = sqrt(rv[c] + p.eps);
  r[c] = clamp(sqrt(varB[c] + p.eps) / sigma, 1.0 / rmax, rmax);
  d[c] = clamp((mean[c] - rm[c]) / sigma, -p.dmax * f, p.dmax * f);
}`,
    tensors: [mean, varBiased, runningMean, runningVar, numBatchesTracked, out.r, out.d],
    access: ['read', 'read', 'read', 'read', 'read', 'write', 'write'],
    uniforms: [u32(C), f32(a.eps), f32(a.rmax), f32(a.dmax), f32(a.warmup)],
    groups: grid(C),
  });
  ctx.run({
    key: 'batchRenormStats',
    wgsl: () => `
@group(0) @binding(0) var<storage, read> mean: array<f32>;
@group(0) @binding(1) var<storage, read> varB: array<f32>;
@group(0) @binding(2) var<storage, read> r: array<f32>;
@group(0) @binding(3) var<storage, read> d: array<f32>;
@group(0) @binding(4) var<storage, read_write> meanOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> varOut: array<f32>;
struct P { c: u32, eps: f32 }
@group(0) @binding(6) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flatIndex(gid, nwg);
  if (c >= p.c) { return; }
  let s = sqrt(varB[c] + p.eps) / r[c];
  meanOut[c] = mean[c] - d[c] * s;
  varOut[c] = s * s - p.eps;
}`,
    tensors: [mean, varBiased, out.r, out.d, out.mean, out.variance],
    access: ['read', 'read', 'read', 'read', 'write', 'write'],
    uniforms: [u32(C), f32(a.eps)],
    groups: grid(C),
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
  BatchRenormCorrection: batchRenormCorrection,
  SgdStep: sgdStep,
  AdamStep: adamStep,
} satisfies Partial<KernelSignatures>;
