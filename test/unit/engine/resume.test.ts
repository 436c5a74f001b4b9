import assert from 'node:assert/strict';
import { train, type StepEvent, type TrainConfig } from '../../../src/engine';
import { blobs } from './blobs';


// Plain SGD keeps no optimizer state, so a resumed run must reproduce the uninterrupted one exactly.
const config: TrainConfig = { spec: 'linear(8) bn relu linear', batchSize: 4, optimizer: 'sgd', lr: 0.1, seed: 5, shuffle: true, steps: 11, statsEvery: 0 };

describe('trainer: resuming at a step (the GPU → CPU fallback)', () => {
  it('continues the data order, step numbers and weights of the uninterrupted run', async () => {
    const data = blobs(14); // 4 steps per epoch: the resume point falls inside epoch 2
    const whole = await train({ dataset: data, config });
    const head = await train({ dataset: data, config: { ...config, steps: 6 } });
    const steps: number[] = [];
    const tail = await train({
      dataset: data, config, initState: await head.model.readStateDict(), startStep: 6,
      onEvent: (e) => e.type === 'step' && steps.push((e as StepEvent).step),
    });
    assert.deepEqual(steps, [7, 8, 9, 10, 11]);
    assert.equal(tail.done.reason, 'completed');
    const want = await whole.model.readStateDict(), got = await tail.model.readStateDict();
    for (const [k, { tensor }] of want) assert.deepEqual(Array.from(got.get(k)!.tensor.data), Array.from(tensor.data), k);
  });

  it('refuses a start step outside the run', async () => {
    const r = await train({ dataset: blobs(14), config, startStep: 11 }).catch((e: Error) => e);
    assert.match(String(r instanceof Error ? r.message : r.done.message), /cannot resume at step 11 of 11/);
  });
});
