import assert from 'node:assert/strict';
import { cpuThreads, setCpuThreads, threadsReady, workerChunks } from '../../../src/engine/backends/cpu/threads';
import { buildModel, crossEntropy } from '../../../src/engine/model';
import { Adam } from '../../../src/engine/optim';
import { Rng } from '../../../src/engine/rng';
import { randn } from './gradcheck';

/** One seed-net Adam step on fixed data: logits, every gradient and the weights after, as float32 bits. */
function seedStep(): Int32Array[] {
  const model = buildModel('seed', { sampleShape: [1, 28, 28], numClasses: 10, seed: 0 });
  const opt = new Adam(model.params().map((p) => p.param), { lr: 1e-3 });
  const x = randn([100, 1, 28, 28], new Rng(5));
  model.train();
  const y = model.forward(x);
  const logits = y.data.slice();
  const { dLogits } = crossEntropy(y, Int32Array.from({ length: 100 }, (_, i) => i % 10));
  model.backward(dLogits!);
  const grads = model.params().map((p) => p.param.grad.data.slice());
  opt.step();
  model.eval();
  const evalLogits = model.forward(x).data.slice();
  return [logits, ...grads, ...model.params().map((p) => p.param.value.data.slice()), evalLogits].map((a) => new Int32Array(a.buffer));
}

describe('cpu threads', () => {
  const before = cpuThreads();
  after(() => setCpuThreads(before));

  it('a seed-net step gives bit-identical results on 1 and 3 threads, and the workers take part', async () => {
    setCpuThreads(1);
    const one = seedStep();
    setCpuThreads(3);
    await threadsReady();
    const three = seedStep();
    assert.ok(workerChunks() > 0, 'the worker threads ran no chunk');
    assert.equal(three.length, one.length);
    one.forEach((a, i) => assert.deepEqual(three[i], a, `output ${i} differs between 1 and 3 threads`));
  });

  it('rejects a thread count that is not a whole number ≥ 1', () => {
    assert.throws(() => setCpuThreads(0), /whole number ≥ 1, got 0/);
    assert.throws(() => setCpuThreads(1.5), /got 1.5/);
  });
});
