/**
 * One seed-net Adam step on fixed data: logits, every gradient, the weights after and eval logits,
 * as float32 bits. Run as a script it prints them as JSON (for a run in another process setup).
 */
import { buildModel, crossEntropy } from '../../../src/engine/model';
import { Adam } from '../../../src/engine/optim';
import { Rng } from '../../../src/engine/rng';
import { randn } from './gradcheck';

export function seedStep(): Int32Array[] {
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

if (require.main === module) console.log(JSON.stringify(seedStep().map((a) => [...a])));
