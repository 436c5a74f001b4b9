/**
 * Max and average 2-D pooling and dropout in WGSL, PyTorch semantics as in the CPU backend (floor
 * mode; max pooling ignores padding (−∞) and propagates NaN, first maximum or last NaN wins;
 * average pooling counts the padding). One invocation per output, or per input for the gradients.
 */
import type { Pool2DAttrs } from '../../kernel-names';
import type { KernelSignatures } from '../../ops/kernels';
import { dropoutThreshold } from '../../ops/kernels';
import type { Tensor } from '../../tensor';
import { activeContext } from './active';
import { f32, grid, i32, u32, type GpuContext } from './context';
import { map } from './elementwise';

/** Uniforms and WGSL struct fields shared by the pooling kernels: n invocations, then the geometry. */
const POOL_FIELDS = 'n: u32, h: i32, w: i32, oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32';
function poolUniforms(n: number, x: readonly number[], y: readonly number[], a: Pool2DAttrs) {
  return [u32(n), i32(x[2]), i32(x[3]), i32(y[2]), i32(y[3]), ...[...a.kernel, ...a.stride, ...a.padding].map(i32)];
}

/** WGSL: this output's plane and its window clipped to the input, [h0, h1) × [w0, w1). */
const WINDOW = /* wgsl */ `
  let o = i32(i);
  let ow = o % p.ow;
  let oh = (o / p.ow) % p.oh;
  let base = (o / (p.ow * p.oh)) * p.h * p.w;
  let h0 = max(oh * p.sh - p.ph, 0);
  let h1 = min(oh * p.sh - p.ph + p.kh, p.h);
  let w0 = max(ow * p.sw - p.pw, 0);
  let w1 = min(ow * p.sw - p.pw + p.kw, p.w);`;

const HEAD = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.n) { return; }`;

function maxPool2d(x: Tensor, attrs: Pool2DAttrs, y: Tensor, argmax: Tensor): void {
  activeContext().run({
    key: 'maxPool2d',
    wgsl: () => `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> argmax: array<i32>;
struct P { ${POOL_FIELDS} }
@group(0) @binding(3) var<uniform> p: P;
// On the bits: a compiler may fold v != v away.
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
${HEAD}
${WINDOW}
  var best = base + h0 * p.w + w0;
  var bestValue = x[best];
  for (var h = h0; h < h1; h++) {
    for (var k = base + h * p.w + w0; k < base + h * p.w + w1; k++) {
      let v = x[k];
      if (v > bestValue || isNan(v)) {
        best = k;
        bestValue = v;
      }
    }
  }
  y[i] = bestValue;
  argmax[i] = best;
}`,
    tensors: [x, y, argmax],
    access: ['read', 'write', 'write'],
    uniforms: poolUniforms(y.size, x.shape, y.shape, attrs),
    groups: grid(y.size),
  });
}

/** Per input element, how many outputs have it as argmax; all zero between calls (the last pass resets it). */
const argmaxCounts = new WeakMap<GpuContext, Tensor>();

/**
 * A scatter without float atomics (WGSL has none) and without pooling attributes (the kernel has
 * none to gather by), deterministic and summed in the CPU's order:
 *   1. per output, count the outputs pointing at its argmax (integer atomics);
 *   2. per output whose argmax has count 1 (always, when windows cannot overlap), dx[argmax] = dy;
 *   3. per input element: count 0 gives 0; count > 1 (overlapping windows, stride < kernel) sums the
 *      dy of its plane's outputs pointing at it, in output order; the count is reset.
 */
function maxPool2dGrad(dy: Tensor, argmax: Tensor, dx: Tensor): void {
  const ctx = activeContext();
  const [N, C, H, W] = dx.shape;
  const planes = N * C;
  let counts = argmaxCounts.get(ctx);
  if (!counts || counts.size < dx.size) argmaxCounts.set(ctx, (counts = ctx.empty([Math.max(1, dx.size)], 'int32')));
  const uniforms = [u32(dy.size), u32(dx.size), u32(H * W), u32(planes === 0 ? 0 : dy.size / planes)];
  const head = (bindings: string) => `${bindings}
struct P { outputs: u32, inputs: u32, inPlane: u32, outPlane: u32 }
@group(0) @binding(${bindings.split('\n').length}) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);`;
  const scatterBindings = `@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> argmax: array<u32>;`;
  ctx.run({
    key: 'maxPool2dGrad.count',
    wgsl: () => `${head(`@group(0) @binding(0) var<storage, read> argmax: array<u32>;
@group(0) @binding(1) var<storage, read_write> counts: array<atomic<u32>>;`)}
  if (i < p.outputs) { atomicAdd(&counts[argmax[i]], 1u); }
}`,
    tensors: [argmax, counts],
    access: ['read', 'write'],
    uniforms,
    groups: grid(dy.size),
  });
  ctx.run({
    key: 'maxPool2dGrad.single',
    wgsl: () => `${head(`${scatterBindings}
@group(0) @binding(2) var<storage, read> counts: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;`)}
  if (i < p.outputs && counts[argmax[i]] == 1u) { dx[argmax[i]] = dy[i]; }
}`,
    tensors: [dy, argmax, counts, dx],
    access: ['read', 'read', 'read', 'write'],
    uniforms,
    groups: grid(dy.size),
  });
  ctx.run({
    key: 'maxPool2dGrad.rest',
    wgsl: () => `${head(`${scatterBindings}
@group(0) @binding(2) var<storage, read_write> counts: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;`)}
  if (i >= p.inputs) { return; }
  let count = counts[i];
  counts[i] = 0u;
  if (count == 1u) { return; }
  var s = 0.0;
  if (count > 1u) {
    let first = (i / p.inPlane) * p.outPlane;
    for (var o = first; o < first + p.outPlane; o++) {
      if (argmax[o] == i) { s += dy[o]; }
    }
  }
  dx[i] = s;
}`,
    tensors: [dy, argmax, counts, dx],
    access: ['read', 'read', 'write', 'write'],
    uniforms,
    groups: grid(dx.size),
  });
}

function avgPool2d(x: Tensor, attrs: Pool2DAttrs, y: Tensor): void {
  activeContext().run({
    key: 'avgPool2d',
    wgsl: () => `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
struct P { ${POOL_FIELDS} }
@group(0) @binding(2) var<uniform> p: P;
${HEAD}
${WINDOW}
  var s = 0.0;
  for (var h = h0; h < h1; h++) {
    for (var k = base + h * p.w + w0; k < base + h * p.w + w1; k++) { s += x[k]; }
  }
  y[i] = s / f32(p.kh * p.kw);
}`,
    tensors: [x, y],
    access: ['read', 'write'],
    uniforms: poolUniforms(y.size, x.shape, y.shape, attrs),
    groups: grid(y.size),
  });
}

/** A gather: each input element sums dy over the outputs whose window covers it (count_include_pad). */
function avgPool2dGrad(dy: Tensor, attrs: Pool2DAttrs, dx: Tensor): void {
  activeContext().run({
    key: 'avgPool2dGrad',
    wgsl: () => `
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
struct P { ${POOL_FIELDS} }
@group(0) @binding(2) var<uniform> p: P;
/** The first window start index whose window [start·s − pad, … + k) covers position v. */
fn firstWindow(v: i32, s: i32, pad: i32, k: i32) -> i32 {
  let a = v + pad - k + 1;
  return select(0, (a + s - 1) / s, a > 0);
}
${HEAD}
  let e = i32(i);
  let w = e % p.w;
  let h = (e / p.w) % p.h;
  let base = (e / (p.w * p.h)) * p.oh * p.ow;
  var s = 0.0;
  for (var oh = firstWindow(h, p.sh, p.ph, p.kh); oh <= min((h + p.ph) / p.sh, p.oh - 1); oh++) {
    for (var ow = firstWindow(w, p.sw, p.pw, p.kw); ow <= min((w + p.pw) / p.sw, p.ow - 1); ow++) {
      s += dy[base + oh * p.ow + ow];
    }
  }
  dx[i] = s / f32(p.kh * p.kw);
}`,
    tensors: [dy, dx],
    access: ['read', 'write'],
    uniforms: poolUniforms(dx.size, dx.shape, dy.shape, attrs),
    groups: grid(dx.size),
  });
}

/** dropoutBits of ops/kernels.ts in u32 arithmetic (WGSL's u32 multiply wraps like Math.imul). */
function dropout(x: Tensor, p: number, seed: number, y: Tensor, mask: Tensor): void {
  activeContext().run({
    key: 'dropout',
    wgsl: () => `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> mask: array<f32>;
struct P { n: u32, seed: u32, threshold: u32, scale: f32 }
@group(0) @binding(3) var<uniform> p: P;
fn dropoutBits(seed: u32, i: u32) -> u32 {
  var h = seed ^ (i * 0x9e3779b9u);
  h = (h ^ (h >> 16u)) * 0x85ebca6bu;
  h = (h ^ (h >> 13u)) * 0xc2b2ae35u;
  return ((h ^ (h >> 16u)) >> 8u) & 0xffffffu;
}
${HEAD}
  let m = select(p.scale, 0.0, dropoutBits(p.seed, i) < p.threshold);
  mask[i] = m;
  y[i] = x[i] * m;
}`,
    tensors: [x, y, mask],
    access: ['read', 'write', 'write'],
    uniforms: [u32(x.size), u32(seed), u32(dropoutThreshold(p)), f32(p >= 1 ? 0 : 1 / (1 - p))],
    groups: grid(x.size),
  });
}

export const poolKernels = {
  MaxPool2D: maxPool2d,
  MaxPool2DGrad: maxPool2dGrad,
  AvgPool2D: avgPool2d,
  AvgPool2DGrad: avgPool2dGrad,
  Dropout: dropout,
  DropoutGrad: (dy, mask, dx) => map('dropoutGrad', 'out[i] = a[i] * b[i];', [dy, mask], dx),
} satisfies Partial<KernelSignatures>;
