import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { BatchNorm } from '../../../src/engine/layers/batchnorm';
import { Conv2d } from '../../../src/engine/layers/conv';
import { Linear } from '../../../src/engine/layers/linear';
import type { Sequential } from '../../../src/engine/model';
import { exportSequential } from '../../../src/onnx/export';
import { openSession } from '../../../src/onnx/ort';
import { CheckerQueue, maxAbsDiff, onnxCheck, randomInput, randomModel, removeTempDirs } from './helpers';

const TOL = 1e-5;
const checker = new CheckerQueue();

/** Engine eval, unfolded ONNX and folded ONNX on the same batch; returns both differences. */
async function compareAll(name: string, model: Sequential, opset = 13, n = 6) {
  const x = randomInput(n, [...model.inputShape], 7);
  const engine = model.eval().forward(x).data.slice();
  const out: Record<'folded' | 'unfolded', { diff: number; bnNodes: number; exp: ReturnType<typeof exportSequential> }> = {} as never;
  for (const fold of [false, true]) {
    const exp = exportSequential(model, { fold, opset });
    checker.add(`${name}-opset${opset}-${fold ? 'folded' : 'unfolded'}`, exp.bytes);
    const session = await openSession(exp.bytes);
    const got = await session.run(x.data, x.shape);
    await session.release();
    assert.deepEqual(got.shape, [n, ...model.outputShape]);
    out[fold ? 'folded' : 'unfolded'] = { diff: maxAbsDiff(got.data, engine), bnNodes: exp.opCounts.BatchNormalization ?? 0, exp };
  }
  return out;
}

function assertClose(r: Awaited<ReturnType<typeof compareAll>>) {
  if (process.env.SHOW_DIFF) console.log(r.unfolded.diff, r.folded.diff);
  assert.ok(r.unfolded.diff <= TOL, `unfolded vs engine: max |diff| ${r.unfolded.diff}`);
  assert.ok(r.folded.diff <= TOL, `folded vs engine: max |diff| ${r.folded.diff}`);
}

describe('onnx export: folded = unfolded = engine eval', () => {
  after(removeTempDirs);
  it('folds every foldable case: conv with/without bias, affine off, grouped, depthwise, large eps, linear→BN1d', async () => {
    const spec =
      'conv(4,3,pad=1) bn relu conv(6,3,pad=1,groups=2,bias=false) bn(affine=false) relu conv(6,3,pad=1,groups=6) bn(eps=10) ' +
      'maxpool(2) flatten linear(12) bn relu linear(8,bias=false) bn linear(5)';
    const model = randomModel(spec, [3, 8, 8], 1);
    const r = await compareAll('fold-cases', model);
    assertClose(r);
    assert.deepEqual(
      r.folded.exp.bns.map((b) => [b.index, b.folded, b.into]),
      [[1, true, 0], [4, true, 3], [7, true, 6], [11, true, 10], [14, true, 13]],
    );
    assert.equal(r.folded.bnNodes, 0);
    assert.equal(r.unfolded.bnNodes, 5);
    assert.ok(r.unfolded.exp.bns.every((b) => !b.folded && b.reason === 'folding off'));
  });

  it('keeps every not-foldable BN, with its reason: first layer, after activation, after pool, track_running_stats off (2d and 1d)', async () => {
    const spec =
      'bn conv(4,3,pad=1) relu bn maxpool(2) bn conv(4,3,pad=1) bn(track=false) avgpool(3,stride=1,pad=1) flatten ' +
      'linear(6) bn(track=false) dropout(0.3) leakyrelu(slope=0.2) bn linear(5)';
    const model = randomModel(spec, [3, 8, 8], 2);
    const r = await compareAll('not-foldable', model);
    assertClose(r);
    const reasons = r.folded.exp.bns.map((b) => [b.index, b.folded, b.reason, b.exportedAs]);
    assert.deepEqual(reasons, [
      [0, false, 'first layer: no conv or linear before it', 'BatchNormalization'],
      [3, false, 'follows relu (layer 2), not a conv or linear', 'BatchNormalization'],
      [5, false, 'follows maxpool (layer 4), not a conv or linear', 'BatchNormalization'],
      [7, false, 'track_running_stats is off: eval mode normalizes with batch statistics, computed at runtime', 'batch-statistics subgraph'],
      [11, false, 'track_running_stats is off: eval mode normalizes with batch statistics, computed at runtime', 'batch-statistics subgraph'],
      [14, false, 'follows leakyrelu (layer 13), not a conv or linear', 'BatchNormalization'],
    ]);
    assert.equal(r.folded.bnNodes, 4);
    assert.equal(r.unfolded.bnNodes, 4);
    assert.equal(r.folded.exp.opCounts.Dropout, undefined, 'dropout is omitted at inference');
  });

  it('batch-statistics BN (track off) really uses the batch: another batch gives other outputs for the same sample', async () => {
    const model = randomModel('conv(3,3,pad=1) bn(track=false) flatten linear(4)', [2, 5, 5], 3);
    const x = randomInput(4, [2, 5, 5], 11);
    const exp = exportSequential(model, { fold: true });
    const session = await openSession(exp.bytes);
    const all = (await session.run(x.data, x.shape)).data;
    const firstTwo = (await session.run(x.data.slice(0, 100), [2, 2, 5, 5])).data;
    await session.release();
    assert.ok(maxAbsDiff(all.slice(0, 8), firstTwo) > 1e-3);
    assert.ok(maxAbsDiff(all, model.forward(x).data) <= TOL, 'ONNX batch statistics = engine batch statistics');
  });

  it('edge values: γ = 0, negative γ, running_var ≈ 0 on a dead channel, eps = 1000', async () => {
    const model = randomModel('conv(4,3,pad=1) bn relu flatten linear(6) bn(eps=1000) relu linear(6) bn linear(3)', [2, 6, 6], 4);
    const [conv, bn] = [model.layers[0] as Conv2d, model.layers[1] as BatchNorm];
    bn.weight!.value.data.set([0, -1.3, 0.7, -0.01]);
    // channel 2 is dead: zero weights, so its output is the bias; its running stats say so
    conv.weight.value.data.fill(0, 2 * 18, 3 * 18);
    bn.runningMean!.data[2] = conv.bias!.value.data[2];
    bn.runningVar!.data[2] = 1e-10;
    const [lin, bn2] = [model.layers[7] as Linear, model.layers[8] as BatchNorm];
    lin.weight.value.data.fill(0, 0, 6);
    bn2.runningMean!.data[0] = lin.bias!.value.data[0];
    bn2.runningVar!.data[0] = 0;
    bn2.weight!.value.data[1] = 0;
    bn2.weight!.value.data[2] = -2;
    const r = await compareAll('edge-values', model);
    assertClose(r);
    assert.equal(r.folded.bnNodes, 0);
    assert.ok(r.folded.exp.bns.every((b) => b.folded));
  });

  it('exports groupnorm, instancenorm (affine on and off), dilated/strided conv, layernorm (opset 17)', async () => {
    const spec = 'conv(4,3,pad=1) groupnorm(2) relu conv(4,3,pad=1,dilation=2,stride=2) instancenorm(affine=true) bn instancenorm flatten layernorm linear(5)';
    const model = randomModel(spec, [2, 8, 8], 5);
    for (const layer of model.layers) for (const p of layer.params()) if (p.name !== 'weight' || !(layer instanceof Conv2d)) p.value.data.forEach((_, i, a) => (a[i] = 0.5 + 0.1 * Math.sin(i + 1) * (p.name === 'bias' ? 3 : 5)));
    const r = await compareAll('norms', model, 17);
    assertClose(r);
    assert.equal(r.folded.exp.bns[0].reason, 'follows instancenorm (layer 4), not a conv or linear');
    assert.equal(r.folded.exp.opCounts.LayerNormalization, 1);
    assert.equal(r.folded.exp.opCounts.InstanceNormalization, 3);
  });

  it('feature inputs: BN1d first, groupnorm on features, batch-statistics BN1d, a trailing dropout; a dropout-only model', async () => {
    const model = randomModel('bn linear(8) groupnorm(2) relu linear(6) bn(track=false) linear(4) dropout', [5], 10);
    assertClose(await compareAll('features', model));
    const identity = await compareAll('dropout-only', randomModel('dropout', [3], 11));
    assert.equal(identity.folded.diff, 0);
    assert.deepEqual(identity.folded.exp.opCounts, { Identity: 1 });
  });

  it('runs on every allowed opset 13–17', async () => {
    const model = randomModel('conv(4,3,pad=1) bn relu maxpool(3,stride=2,pad=1) flatten linear(8) bn relu linear(4)', [1, 6, 6], 6);
    for (const opset of [13, 14, 15, 16, 17]) assertClose(await compareAll('seedlike', model, opset, 3));
  });

  it('Ghost BN and batch renorm fold like BN (inference is plain BN); Ghost BN without running statistics is refused', async () => {
    const model = randomModel('conv(4,3,pad=1) bn(ghost=2) relu flatten linear(6) bn(renorm,warmup=0) linear(3)', [2, 5, 5], 3);
    const r = await compareAll('bn-variants', model);
    assertClose(r);
    assert.equal(r.folded.bnNodes, 0);
    const ghostNoStats = randomModel('conv(4,3) bn(ghost=2,track=false) flatten linear(3)', [2, 5, 5], 4);
    assert.throws(() => exportSequential(ghostNoStats, { fold: true }), /layer 1 \(bn\(track=false,ghost=2\)\): Ghost BN without running statistics .* no ONNX export/);
  });

  it('writes IR 8, the opset, input [N,C,H,W] with a dynamic N, output logits, spec and version metadata', () => {
    const model = randomModel('conv(4,3,pad=1) bn relu flatten linear(3)', [1, 5, 5], 8);
    const m = onnx.ModelProto.decode(exportSequential(model, { opset: 15 }).bytes);
    assert.equal(Number(m.irVersion), 8);
    assert.deepEqual(m.opsetImport.map((o) => [o.domain ?? '', Number(o.version)]), [['', 15]]);
    const dims = (v: onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    assert.deepEqual(m.graph!.input!.map((i) => i.name), ['input']);
    assert.deepEqual(dims(m.graph!.input![0]), ['N', 1, 5, 5]);
    assert.deepEqual(m.graph!.output!.map((o) => o.name), ['logits']);
    assert.deepEqual(dims(m.graph!.output![0]), ['N', 3]);
    const meta = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    assert.equal(meta.spec, 'conv(4,3,pad=1) bn relu flatten linear(3)');
    assert.match(meta.bnlab_version, /^\d+\.\d+\.\d+/);
  });

  it('--no-fold keeps one initializer per parameter and buffer, equal to the checkpoint value', () => {
    const model = randomModel('conv(4,3,pad=1) bn relu flatten linear(6) bn linear(3)', [1, 4, 4], 9);
    const m = onnx.ModelProto.decode(exportSequential(model, { fold: false }).bytes);
    const inits = new Map(m.graph!.initializer!.map((t) => [t.name!, t]));
    const sd = [...model.stateDict()].filter(([, e]) => e.dtype === 'float32');
    assert.equal(inits.size, sd.length);
    for (const [key, { tensor }] of sd) {
      const t = inits.get(key);
      assert.ok(t, `initializer ${key} missing`);
      assert.deepEqual(t.dims!.map(Number), [...tensor.shape]);
      const raw = t.rawData!;
      assert.deepEqual(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), tensor.data);
    }
  });

  it('every exported test model passes onnx.checker.check_model(full_check=True) (python3-onnx)', function () {
    if (checker.files.length === 0) this.skip();
    const out = onnxCheck(checker.files);
    assert.equal(out.trim().split('\n').filter((l) => l.startsWith('ok ')).length, checker.files.length);
  });
});
