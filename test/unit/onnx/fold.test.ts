import assert from 'node:assert/strict';
import { Tensor } from '../../../src/engine/tensor';
import { foldBlocker, foldBnInto, planFold } from '../../../src/onnx/fold';
import type { BnLayer, ConvLayer, ExportLayer, LinearLayer } from '../../../src/onnx/ir';

const conv = (bias: number[] | null): ConvLayer => ({
  op: 'conv', index: 0, label: 'conv(2,1)', weight: Tensor.from([2, 1, 1, 1], [2, 3]), bias: bias && Tensor.from([2], bias),
  stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1,
});
const bn = (index: number, over: Partial<BnLayer> = {}): BnLayer => ({
  op: 'bn', index, label: 'bn', numFeatures: 2, eps: 1,
  gamma: Tensor.from([2], [2, -1]), beta: Tensor.from([2], [0.5, 0]),
  runningMean: Tensor.from([2], [1, 2]), runningVar: Tensor.from([2], [3, 0]), ...over,
});

describe('onnx fold math (hand-computed)', () => {
  // s = γ/√(var+eps) = [2/2, −1/1] = [1, −1]; t = β − mean·s = [0.5 − 1, 0 + 2] = [−0.5, 2]
  it('conv with bias: W·s, b·s + t', () => {
    const f = foldBnInto(conv([1, -1]), bn(1));
    assert.deepEqual([...f.weight.data], [2, -3]);
    assert.deepEqual([...f.bias!.data], [0.5, 3]);
    assert.deepEqual(f.weight.shape, [2, 1, 1, 1]);
  });
  it('conv without bias gets bias t', () => {
    const f = foldBnInto(conv(null), bn(1));
    assert.deepEqual([...f.bias!.data], [-0.5, 2]);
  });
  it('affine off: γ = 1, β = 0', () => {
    // s = [1/2, 1]; t = [−0.5, −2]
    const f = foldBnInto(conv([1, -1]), bn(1, { gamma: null, beta: null }));
    assert.deepEqual([...f.weight.data], [1, 3]);
    assert.deepEqual([...f.bias!.data], [0, -3]);
  });
  it('linear rows scale per output feature', () => {
    const lin: LinearLayer = { op: 'linear', index: 0, label: 'linear(2)', weight: Tensor.from([2, 3], [1, 2, 3, 4, 5, 6]), bias: null };
    const f = foldBnInto(lin, bn(1));
    assert.deepEqual([...f.weight.data], [1, 2, 3, -4, -5, -6]);
    assert.deepEqual([...f.bias!.data], [-0.5, 2]);
  });
  it('computes in float64: a dead channel (b = running_mean, var ≈ 0) folds to exactly β', () => {
    const c: ConvLayer = { ...conv([0.1, 0.3]), weight: Tensor.from([2, 1, 1, 1], [0, 0]) };
    const f = foldBnInto(c, bn(1, { eps: 1e-5, runningMean: Tensor.from([2], [0.1, 0.3]), runningVar: Tensor.from([2], [1e-12, 0]) }));
    assert.deepEqual([...f.bias!.data], [0.5, 0]);
  });
  it('rejects a BN whose feature count differs from the producer outputs', () => {
    assert.throws(() => foldBnInto(conv(null), bn(1, { numFeatures: 3 })), /has 3 features but layer 0 outputs 2/);
  });
});

describe('onnx fold plan', () => {
  it('names why a BN cannot fold, including a producer output used twice (general graphs)', () => {
    assert.equal(foldBlocker(conv(null), 1, bn(1)), null);
    assert.equal(foldBlocker(conv(null), 2, bn(1)), 'the output of layer 0 (conv(2,1)) is used 2 times');
    assert.equal(foldBlocker(undefined, 1, bn(0)), 'first layer: no conv or linear before it');
    assert.match(foldBlocker(conv(null), 1, bn(1, { runningMean: null, runningVar: null }))!, /track_running_stats is off/);
    const relu: ExportLayer = { op: 'relu', index: 3, label: 'relu' };
    assert.equal(foldBlocker(relu, 1, bn(4)), 'follows relu (layer 3), not a conv or linear');
  });
  it('folds only into the layer right before; a second BN after a folded one stays', () => {
    const plan = planFold([conv(null), bn(1), bn(2)], true);
    assert.deepEqual(plan.layers.map((l) => l.op), ['conv', 'bn']);
    assert.deepEqual(plan.bns.map((b) => [b.index, b.folded, b.into ?? b.reason]), [[1, true, 0], [2, false, 'follows bn (layer 1), not a conv or linear']]);
  });
  it('without fold keeps every layer and says so', () => {
    const plan = planFold([conv(null), bn(1)], false);
    assert.deepEqual(plan.layers.map((l) => l.op), ['conv', 'bn']);
    assert.equal(plan.bns[0].reason, 'folding off');
  });
});
