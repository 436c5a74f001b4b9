import assert from 'node:assert/strict';
import { buildModel, crossEntropy, lossValues, Rng, Tensor, UserError, type StateDict } from '../../../src/engine';
import type { Conv2d } from '../../../src/engine/layers/conv';

const img = { sampleShape: [1, 28, 28], numClasses: 10 };

function randomInput(shape: number[], seed: number): Tensor {
  const r = new Rng(seed), t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = r.normal();
  return t;
}

describe('Sequential model', () => {
  it('has PyTorch nn.Sequential state_dict names, layouts and dtypes', () => {
    const sd = buildModel('seed', img).stateDict();
    const got = [...sd].map(([k, v]) => `${k} ${v.dtype} [${v.tensor.shape.join(',')}]`);
    assert.deepEqual(got, [
      '0.weight float32 [32,1,5,5]', '0.bias float32 [32]',
      '1.weight float32 [32]', '1.bias float32 [32]', '1.running_mean float32 [32]', '1.running_var float32 [32]', '1.num_batches_tracked int64 []',
      '5.weight float32 [128,6272]', '5.bias float32 [128]',
      '6.weight float32 [128]', '6.bias float32 [128]', '6.running_mean float32 [128]', '6.running_var float32 [128]', '6.num_batches_tracked int64 []',
      '8.weight float32 [10,128]', '8.bias float32 [10]',
    ]);
  });

  it('initializes like PyTorch: U(±1/√fan_in) for weights and biases, grouped fan_in = in/groups·k²', () => {
    const m = buildModel('conv(8,3,groups=2) flatten linear(5)', { sampleShape: [4, 6, 6] });
    const conv = m.layers[0] as Conv2d;
    for (const [t, fanIn] of [[conv.weight.value, 2 * 9], [conv.bias!.value, 2 * 9], [m.params()[2].param.value, 8 * 16], [m.params()[3].param.value, 8 * 16]] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      const maxAbs = Math.max(...Array.from(t.data, Math.abs));
      assert.ok(maxAbs <= bound, `max |w| ${maxAbs} > bound ${bound}`);
      if (t.size >= 100) assert.ok(maxAbs > 0.9 * bound, `max |w| ${maxAbs} far below bound ${bound}`);
    }
  });

  it('same seed gives bit-identical weights; another seed does not', () => {
    const a = buildModel('seed', { ...img, seed: 7 }).stateDict();
    const b = buildModel('seed', { ...img, seed: 7 }).stateDict();
    const c = buildModel('seed', { ...img, seed: 8 }).stateDict();
    for (const [k, v] of a) assert.deepEqual(v.tensor.data, b.get(k)!.tensor.data, k);
    assert.notDeepEqual(a.get('0.weight')!.tensor.data, c.get('0.weight')!.tensor.data);
  });

  it('backward fills every gradient; the loss falls under plain gradient descent', () => {
    // (biases right before a bn get ≈0 gradients by design, so they are not checked for non-zero)
    const m = buildModel('conv(4,3,pad=1) bn relu maxpool(2) flatten linear(8) bn relu dropout(0.1) linear(3)', { sampleShape: [2, 6, 6], numClasses: 3 });
    const x = randomInput([6, 2, 6, 6], 1);
    const labels = Int32Array.from([0, 1, 2, 0, 1, 2]);
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) {
      const r = crossEntropy(m.forward(x), labels);
      losses.push(lossValues(r).loss);
      const { dLogits } = r;
      m.backward(dLogits!);
      for (const { key, param } of m.params()) {
        if (key !== '0.bias' && key !== '5.bias') assert.ok(param.grad.data.some((g) => g !== 0), `${key} has an all-zero gradient`);
        for (let i = 0; i < param.value.size; i++) param.value.data[i] -= 0.1 * param.grad.data[i];
      }
    }
    assert.ok(losses[4] < losses[0], `loss did not fall: ${losses}`);
  });

  it('layernorm over [C, H, W] (after a conv) trains: dγ = Σ dy·x̂ and dβ = Σ dy land in its [C, H, W] params', () => {
    const m = buildModel('layernorm', { sampleShape: [2, 3, 3] }).train();
    const x = randomInput([4, 2, 3, 3], 1), dy = randomInput([4, 2, 3, 3], 2), D = 18;
    m.forward(x);
    m.backward(dy);
    const [w, b] = m.params().map((p) => p.param);
    assert.deepEqual([w.grad.shape, b.grad.shape], [[2, 3, 3], [2, 3, 3]]);
    const dGamma = new Float64Array(D), dBeta = new Float64Array(D);
    for (let n = 0; n < 4; n++) {
      const row = Array.from(x.data.subarray(n * D, (n + 1) * D));
      const mean = row.reduce((a, v) => a + v, 0) / D;
      const std = Math.sqrt(row.reduce((a, v) => a + (v - mean) ** 2, 0) / D + 1e-5);
      for (let i = 0; i < D; i++) {
        dGamma[i] += dy.data[n * D + i] * ((row[i] - mean) / std);
        dBeta[i] += dy.data[n * D + i];
      }
    }
    for (let i = 0; i < D; i++) {
      assert.ok(Math.abs(w.grad.data[i] - dGamma[i]) < 1e-4, `dγ[${i}] ${w.grad.data[i]} vs ${dGamma[i]}`);
      assert.ok(Math.abs(b.grad.data[i] - dBeta[i]) < 1e-4, `dβ[${i}] ${b.grad.data[i]} vs ${dBeta[i]}`);
    }
  });

  it('runs "relu maxpool" as "maxpool relu": the same bits as the layers in spec order, forward and backward (NaN, ties at 0, −0)', () => {
    for (const pool of ['maxpool(2)', 'maxpool(3,stride=2,pad=1)']) {
      const spec = `conv(4,3,pad=1) relu ${pool} flatten linear(3)`;
      const x = randomInput([5, 2, 8, 8], 2);
      x.data[3] = NaN;
      for (let i = 100; i < 160; i++) x.data[i] = i % 3 ? 0 : -0;
      const run = (inSpecOrder: boolean) => {
        const m = buildModel(spec, { sampleShape: [2, 8, 8], numClasses: 3, seed: 4 });
        const ctx = { training: true, rng: m.rng };
        let y = x;
        if (inSpecOrder) for (const l of m.layers) y = l.forward(y, ctx);
        else y = m.forward(x);
        const { dLogits } = crossEntropy(y, Int32Array.from([0, 1, 2, 0, 1]));
        if (inSpecOrder) {
          let d: Tensor | null = dLogits!;
          for (let i = m.layers.length - 1; i >= 0 && d; i--) d = m.layers[i].backward(d, true);
        } else m.backward(dLogits!);
        return [y, ...m.params().map((p) => p.param.grad)].map((t) => [...new Int32Array(t.data.slice().buffer)]);
      };
      assert.deepEqual(run(false), run(true), spec);
    }
  });

  it('rejects inputs of the wrong shape', () => {
    assert.throws(() => buildModel('seed', img).forward(new Tensor([2, 1, 27, 28])), /expects input \[N, 1, 28, 28\], got \[2, 1, 27, 28\]/);
  });

  it('loadStateDict copies values and names missing, unexpected and mis-shaped keys', () => {
    const a = buildModel('seed', { ...img, seed: 1 }), b = buildModel('seed', { ...img, seed: 2 });
    b.loadStateDict(a.stateDict());
    for (const [k, v] of a.stateDict()) assert.deepEqual(b.stateDict().get(k)!.tensor.data, v.tensor.data, k);
    const partial: StateDict = new Map([...a.stateDict()].filter(([k]) => k !== '1.running_var'));
    partial.set('9.weight', { tensor: new Tensor([1]), dtype: 'float32' });
    assert.throws(() => b.loadStateDict(partial), (e: unknown) => e instanceof UserError && /missing keys 1\.running_var; unexpected keys 9\.weight/.test(e.message));
    const noBn = buildModel('seed', { ...img, noBn: true });
    assert.throws(() => noBn.loadStateDict(a.stateDict()), /unexpected keys 1\.weight/);
    const wide = buildModel('conv(16,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear', img);
    assert.throws(() => wide.loadStateDict(a.stateDict()), /0\.weight has shape \[32, 1, 5, 5\] in the file, \[16, 1, 5, 5\] in the model/);
  });
});
