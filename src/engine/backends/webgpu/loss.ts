/** Softmax cross-entropy in WGSL: one workgroup over the batch, loss reduced in workgroup memory. */
import type { KernelSignatures } from '../../ops/kernels';
import type { Tensor } from '../../tensor';
import { activeContext } from './active';
import { grid, u32 } from './context';

function softmaxCrossEntropy(logits: Tensor, labels: Tensor, probs: Tensor, metrics: Tensor, slot: number): void {
  const [N, K] = logits.shape;
  activeContext().run({
    key: 'softmaxCrossEntropy',
    wgsl: () => `
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;
@group(0) @binding(3) var<storage, read_write> metrics: array<f32>;
struct P { n: u32, k: u32, slot: u32 }
@group(0) @binding(4) var<uniform> p: P;
var<workgroup> lossSum: array<f32, WG>;
var<workgroup> hits: array<u32, WG>;
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32) {
  var loss = 0.0;
  var hit = 0u;
  for (var n = t; n < p.n; n += WG) {
    let row = n * p.k;
    var mx = logits[row];
    var arg = 0u;
    for (var k = 1u; k < p.k; k++) {
      let v = logits[row + k];
      if (v > mx) { mx = v; arg = k; }
    }
    var s = 0.0;
    for (var k = 0u; k < p.k; k++) { s += exp(logits[row + k] - mx); }
    for (var k = 0u; k < p.k; k++) { probs[row + k] = exp(logits[row + k] - mx) / s; }
    let label = u32(labels[n]);
    loss += log(s) - (logits[row + label] - mx);
    if (arg == label) { hit += 1u; }
  }
  lossSum[t] = loss;
  hits[t] = hit;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      lossSum[t] += lossSum[t + stride];
      hits[t] += hits[t + stride];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    metrics[2u * p.slot] = select(0.0, lossSum[0] / f32(p.n), p.n > 0u);
    metrics[2u * p.slot + 1u] = f32(hits[0]);
  }
}`,
    tensors: [logits, labels, probs, metrics],
    access: ['read', 'read', 'write', 'write'],
    uniforms: [u32(N), u32(K), u32(slot)],
    groups: [1],
  });
}

function softmaxCrossEntropyGrad(probs: Tensor, labels: Tensor, dlogits: Tensor): void {
  const [N, K] = probs.shape;
  activeContext().run({
    key: 'softmaxCrossEntropyGrad',
    wgsl: () => `
@group(0) @binding(0) var<storage, read> probs: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> d: array<f32>;
struct P { n: u32, k: u32 }
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.n * p.k) { return; }
  let onehot = select(0.0, 1.0, u32(labels[i / p.k]) == i % p.k);
  d[i] = (probs[i] - onehot) / f32(p.n);
}`,
    tensors: [probs, labels, dlogits],
    access: ['read', 'read', 'write'],
    uniforms: [u32(N), u32(K)],
    groups: grid(N * K),
  });
}

export const lossKernels = {
  SoftmaxCrossEntropy: softmaxCrossEntropy,
  SoftmaxCrossEntropyGrad: softmaxCrossEntropyGrad,
} satisfies Partial<KernelSignatures>;
