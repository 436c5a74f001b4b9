/** Elementwise kernels in WGSL: ReLU, LeakyReLU and their gradients (one invocation per element). */
import type { KernelSignatures } from '../../ops/kernels';
import type { Tensor } from '../../tensor';
import { activeContext } from './active';
import { f32, grid, u32, type Binding } from './context';

/** A kernel over n elements whose body sets out[i] from the inputs a (and b). */
function map(key: string, body: string, inputs: Tensor[], out: Tensor, scalar = 0): void {
  const n = out.size;
  const names = ['a', 'b'].slice(0, inputs.length);
  activeContext().run({
    key: `map:${key}`,
    wgsl: () => `
${names.map((v, i) => `@group(0) @binding(${i}) var<storage, read> ${v}: array<f32>;`).join('\n')}
@group(0) @binding(${names.length}) var<storage, read_write> out: array<f32>;
struct P { n: u32, s: f32 }
@group(0) @binding(${names.length + 1}) var<uniform> p: P;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg);
  if (i >= p.n) { return; }
  ${body}
}`,
    tensors: [...inputs, out],
    access: [...inputs.map((): Binding => 'read'), 'write'],
    uniforms: [u32(n), f32(scalar)],
    groups: grid(n),
  });
}

export const elementwiseKernels = {
  // max(x, 0) would drop NaN; PyTorch's ReLU passes NaN through.
  Relu: (x, y) => map('relu', 'let v = a[i]; out[i] = select(0.0, v, v > 0.0 || v != v);', [x], y),
  ReluGrad: (dy, y, dx) => map('reluGrad', 'out[i] = select(0.0, a[i], b[i] > 0.0);', [dy, y], dx),
  LeakyRelu: (x, slope, y) => map('leakyRelu', 'let v = a[i]; out[i] = select(v * p.s, v, v > 0.0);', [x], y, slope),
  LeakyReluGrad: (dy, x, slope, dx) => map('leakyReluGrad', 'out[i] = select(a[i] * p.s, a[i], b[i] > 0.0);', [dy, x], dx, slope),
} satisfies Partial<KernelSignatures>;

export { map };
