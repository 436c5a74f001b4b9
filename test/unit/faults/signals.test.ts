/**
 * Issue 12, item 4: SIGTERM (timeout, docker stop, CI cancel) stops a run like SIGINT does: at the
 * next step, with a checkpoint, a message and a `done` line. Real processes, real signals.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { bnlab, bnlabWithSignal, DATA, ensureBuilt, events, removeTempDirs, root, SPEC, tempDir } from './helpers';

const long = (out: string, ...extra: string[]) => ['train', '--model', SPEC, '--data', DATA, '--epochs', '1000', '--batch', '20', '--out', out, ...extra];
const steps = (stdout: string) => (stdout.match(/"type":"step"/g) ?? []).length;

describe('faults: signals', function () {
  this.timeout(120_000);
  before(ensureBuilt);
  after(removeTempDirs);

  it('SIGTERM: exit 143, a done line (reason cancelled), a checkpoint that evaluates, metrics.jsonl ending in done', async () => {
    const out = join(tempDir(), 'run');
    const r = await bnlabWithSignal(long(out, '--json'), 'SIGTERM', (s) => steps(s) >= 2);
    assert.equal(r.code, 143, r.stderr);
    const done = events(r.stdout).at(-1)!;
    assert.equal(done.type, 'done');
    assert.equal(done.reason, 'cancelled');
    assert.equal(done.checkpoint, out);
    assert.ok(existsSync(join(out, 'model.safetensors')));
    assert.equal(bnlab(['eval', '--checkpoint', out]).code, 0);
    const metrics = events(readFileSync(join(out, 'metrics.jsonl'), 'utf8'));
    assert.equal(metrics.at(-1)!.type, 'done');
  });

  it('SIGTERM and SIGINT in text mode: one stderr line naming the signal, the steps and the checkpoint', async () => {
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const out = join(tempDir(), 'run');
      const r = await bnlabWithSignal(long(out), signal, (s) => /step \d+\//.test(s));
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr.trim(), new RegExp(`^bnlab: training stopped by ${signal} after \\d+ steps; the last good checkpoint is .*run$`));
      assert.doesNotMatch(r.stderr, /training was cancelled/);
    }
  });

  it('property: a signal after any number of steps leaves a loadable checkpoint at the step the done line names', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.constantFrom('SIGTERM', 'SIGINT') as fc.Arbitrary<NodeJS.Signals>, async (after, signal) => {
        const out = join(tempDir(), 'run');
        const r = await bnlabWithSignal(long(out, '--json'), signal, (s) => steps(s) >= after);
        assert.equal(r.code, signal === 'SIGTERM' ? 143 : 130);
        const done = events(r.stdout).at(-1)!;
        assert.equal(done.reason, 'cancelled');
        assert.ok((done.step as number) >= after);
        const meta = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
        assert.equal(meta.step, done.step);
      }),
      { numRuns: 4, seed: 4 },
    );
  });

  it('the extension worker saves a checkpoint when it is stopped', async () => {
    const out = join(tempDir(), 'worker-run');
    const worker = new Worker(join(root, 'dist', 'worker', 'train-worker.js'));
    const seen: { type: string; event?: { type: string; reason?: string; checkpoint?: string } }[] = [];
    const finished = new Promise<void>((res) =>
      worker.on('message', (m) => {
        seen.push(m);
        if (m.type === 'event' && m.event.type === 'step' && m.event.step === 2) worker.postMessage({ type: 'stop' });
        if (m.type === 'finished') res();
      }),
    );
    worker.postMessage({
      type: 'start', runId: 'r', data: DATA, digitsPath: join(root, 'media', 'digits.bin'), outDir: out, evalModes: false,
      config: { spec: SPEC, epochs: 1000, batchSize: 20, optimizer: 'adam', lr: 1e-3, seed: 0, shuffle: true, statsEvery: 0 },
    });
    await finished;
    await worker.terminate();
    const done = seen.map((m) => m.event).find((e) => e?.type === 'done')!;
    assert.equal(done.reason, 'cancelled');
    assert.equal(done.checkpoint, out);
    assert.ok(existsSync(join(out, 'model.safetensors')));
  });
});
