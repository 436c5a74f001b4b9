/**
 * Conv2D in WGSL as implicit GEMMs (linear.ts), per group g, im2col done on the fly by the loaders:
 *   forward        y[Og, N·OH·OW]        = w[Og, Cg·KH·KW] · cols[Cg·KH·KW, N·OH·OW]
 *   input grad     dx[Cg, N·H·W]         = wᵀ[Cg, Og·KH·KW] · dyCols[Og·KH·KW, N·H·W]
 *   filter grad    [dw | db][Og, Cg·KH·KW + 1] = dy[Og, N·OH·OW] · [colsᵀ | 1]
 * The input gradient gathers dy (a tap contributes where (ih + pad − ki·dil) is a multiple of the
 * stride), so no output is written twice and nothing needs atomics.
 */
import type { Conv2DAttrs } from '../../kernel-names';
import type { KernelSignatures } from '../../ops/kernels';
import type { Tensor } from '../../tensor';
import { gemm } from './linear';

/** Shape and attributes as the shaders' uniforms (p.C, p.strH, …). */
function geometry(xShape: readonly number[], wShape: readonly number[], yShape: readonly number[], a: Conv2DAttrs) {
  const [, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  const [, , OH, OW] = yShape;
  return {
    C, H, W, O, Cg, Og: O / a.groups, KH, KW, OH, OW,
    strH: a.stride[0], strW: a.stride[1], padH: a.padding[0], padW: a.padding[1], dilH: a.dilation[0], dilW: a.dilation[1],
  };
}

/**
 * im2col of x, split by what each index decides: an output pixel (image, oh, ow) fixes the image's
 * offset in x and where its window starts, a filter tap (c, ki, kj) the channel's offset and the
 * shift inside the window; xAt combines the two (0 in the padding).
 */
const GATHER_X = /* wgsl */ `
fn pixelOf(g: u32, pixel: u32) -> vec3<i32> {
  let img = pixel / (p.OH * p.OW);
  let oh = (pixel / p.OW) % p.OH;
  let ow = pixel % p.OW;
  return vec3<i32>(i32((img * p.C + g * p.Cg) * p.H * p.W), i32(oh * p.strH) - i32(p.padH), i32(ow * p.strW) - i32(p.padW));
}
fn tapOf(tap: u32) -> vec3<i32> {
  let taps = p.KH * p.KW;
  return vec3<i32>(i32((tap / taps) * p.H * p.W), i32(((tap % taps) / p.KW) * p.dilH), i32((tap % p.KW) * p.dilW));
}
fn xAt(pixel: vec3<i32>, tap: vec3<i32>) -> f32 {
  let ih = pixel.y + tap.y;
  let iw = pixel.z + tap.z;
  if (ih < 0 || iw < 0 || ih >= i32(p.H) || iw >= i32(p.W)) { return 0.0; }
  return x[u32(pixel.x + tap.x + ih * i32(p.W) + iw)];
}`;

/**
 * The same split for the input gradient's gather of dy: an input pixel (image, ih, iw) fixes the
 * image's offset in dy and (ih + pad, iw + pad), a tap (o, ki, kj) the output channel's offset and
 * the dilated shift; the tap reached output (oh, ow) when the shifted position is a multiple of the stride.
 */
const GATHER_DY = /* wgsl */ `
fn inputPixelOf(g: u32, pixel: u32) -> vec3<i32> {
  let img = pixel / (p.H * p.W);
  return vec3<i32>(i32((img * p.O + g * p.Og) * p.OH * p.OW), i32((pixel / p.W) % p.H + p.padH), i32(pixel % p.W + p.padW));
}
fn outputTapOf(tap: u32) -> vec3<i32> {
  let taps = p.KH * p.KW;
  return vec3<i32>(i32((tap / taps) * p.OH * p.OW), i32(((tap % taps) / p.KW) * p.dilH), i32((tap % p.KW) * p.dilW));
}
fn dyAt(pixel: vec3<i32>, tap: vec3<i32>) -> f32 {
  let th = pixel.y - tap.y;
  let tw = pixel.z - tap.z;
  if (th < 0 || tw < 0) { return 0.0; }
  let oh = u32(th) / p.strH;
  let ow = u32(tw) / p.strW;
  if (oh * p.strH != u32(th) || ow * p.strW != u32(tw) || oh >= p.OH || ow >= p.OW) { return 0.0; }
  return dy[u32(pixel.x + tap.x) + oh * p.OW + ow];
}`;

function conv2d(x: Tensor, w: Tensor, b: Tensor | null, attrs: Conv2DAttrs, y: Tensor): void {
  const geo = geometry(x.shape, w.shape, y.shape, attrs);
  gemm({
    key: 'conv2d', M: geo.Og, N: x.shape[0] * geo.OH * geo.OW, K: geo.Cg * geo.KH * geo.KW, G: attrs.groups,
    operands: [{ name: 'x', tensor: x, access: 'read' }, { name: 'w', tensor: w, access: 'read' }, { name: 'b', tensor: b, access: 'read' }, { name: 'y', tensor: y, access: 'write' }],
    params: { ...geo, hasBias: b ? 1 : 0 },
    helpers: GATHER_X,
    loadA: 'return w[(g * p.Og + m) * p.K + k];',
    indexB: { type: 'vec3<i32>', row: 'return tapOf(k);', col: 'return pixelOf(g, n);' },
    loadB: 'return xAt(col, row);',
    store: `
  let o = g * p.Og + m;
  var bias = 0.0;
  if (p.hasBias == 1u) { bias = b[o]; }
  let P = p.OH * p.OW;
  y[((n / P) * p.O + o) * P + n % P] = v + bias;`,
  });
}

function conv2dBackpropInput(dy: Tensor, w: Tensor, attrs: Conv2DAttrs, dx: Tensor): void {
  const geo = geometry(dx.shape, w.shape, dy.shape, attrs);
  gemm({
    key: 'conv2dBackpropInput', M: geo.Cg, N: dx.shape[0] * geo.H * geo.W, K: geo.Og * geo.KH * geo.KW, G: attrs.groups,
    operands: [{ name: 'dy', tensor: dy, access: 'read' }, { name: 'w', tensor: w, access: 'read' }, { name: 'dx', tensor: dx, access: 'write' }],
    params: geo,
    helpers: GATHER_DY,
    loadA: `
  let taps = p.KH * p.KW;
  return w[((g * p.Og + k / taps) * p.Cg + m) * taps + k % taps];`,
    indexB: { type: 'vec3<i32>', row: 'return outputTapOf(k);', col: 'return inputPixelOf(g, n);' },
    loadB: 'return dyAt(col, row);',
    store: `
  let HW = p.H * p.W;
  dx[((n / HW) * p.C + g * p.Cg + m) * HW + n % HW] = v;`,
  });
}

function conv2dBackpropFilter(dy: Tensor, x: Tensor, attrs: Conv2DAttrs, dw: Tensor, db: Tensor): void {
  const geo = geometry(x.shape, dw.shape, dy.shape, attrs);
  const taps = geo.Cg * geo.KH * geo.KW;
  gemm({
    key: 'conv2dBackpropFilter', M: geo.Og, N: taps + 1, K: x.shape[0] * geo.OH * geo.OW, G: attrs.groups,
    operands: [{ name: 'dy', tensor: dy, access: 'read' }, { name: 'x', tensor: x, access: 'read' }, { name: 'dw', tensor: dw, access: 'write' }, { name: 'db', tensor: db, access: 'write' }],
    params: { ...geo, taps },
    helpers: GATHER_X,
    loadA: `
  let P = p.OH * p.OW;
  return dy[((k / P) * p.O + g * p.Og + m) * P + k % P];`,
    fastB: 'k',
    indexB: { type: 'vec3<i32>', row: 'return pixelOf(g, k);', col: 'return tapOf(n);' },
    loadB: 'if (n == p.taps) { return 1.0; } return xAt(row, col);',
    store: 'let o = g * p.Og + m; if (n == p.taps) { db[o] = v; } else { dw[o * p.taps + n] = v; }',
  });
}

export const convKernels = {
  Conv2D: conv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
} satisfies Partial<KernelSignatures>;
