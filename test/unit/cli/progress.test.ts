import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EpochProgress } from '../../../src/cli/progress';
import { clock } from '../../../src/lab/event-lines';

const root = resolve(__dirname, '../../..');
const TRAIN = ['train', '--data', 'synthetic:shapes,n=60,test=20', '--model', 'conv(2,3,stride=2) bn relu flatten linear', '--epochs', '2', '--batch', '20'];
const cli = (args: string[]) => ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args];

describe('bnlab train progress', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnlab-progress-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('draws one live line per epoch: bar, step/total within the epoch, loss, accuracy, samples/s, ETA', () => {
    const out: string[] = [];
    let t = 0;
    const p = new EpochProgress({ write: (s) => out.push(s), columns: 200 }, 5, 3, () => t, 6);
    const step = (s: number, epoch: number) => ((t += 1000), p.step({ step: s, epoch, loss: 0.5, accuracy: 0.75, samplesPerSec: 400 }));
    step(1, 1);
    step(2, 1);
    step(3, 1);
    step(4, 2);
    assert.deepEqual(out, [
      '\repoch 1/2 ██░░░░ 1/3 loss 0.5000 acc 0.750 400 samples/s ETA 0:02\x1b[K',
      '\repoch 1/2 ████░░ 2/3 loss 0.5000 acc 0.750 400 samples/s ETA 0:01\x1b[K',
      '\repoch 1/2 ██████ 3/3 loss 0.5000 acc 0.750 400 samples/s\x1b[K',
      // the last epoch is partial: 5 steps of 3 per epoch
      '\repoch 2/2 ███░░░ 1/2 loss 0.5000 acc 0.750 400 samples/s ETA 0:01\x1b[K',
    ]);
    p.clear();
    assert.equal(out.at(-1), '\r\x1b[K');
    assert.deepEqual([clock(59.6), clock(61), clock(3725)], ['1:00', '1:01', '1:02:05']);
  });

  it('on a terminal, `bnlab train` shows the live line per epoch ending in the epoch summary; with --json or piped, plain lines', () => {
    const tty = spawnSync('script', ['-qec', [process.execPath, ...cli([...TRAIN, '--out', join(dir, 'tty')])].map((a) => `'${a}'`).join(' '), '/dev/null'], { cwd: root, encoding: 'utf8' });
    assert.equal(tty.status, 0, tty.stdout + tty.stderr);
    const screen = tty.stdout.replace(/\r\n/g, '\n');
    assert.match(screen, /\repoch 1\/2 [█░]+ \d\/3 loss [\d.]+ acc [\d.]+ \d+ samples\/s/);
    // The live line is cleared and the epoch's summary takes its place.
    assert.match(screen, /\r\x1b\[Kepoch 1: train loss [\d.]+ acc [\d.]+ \| test loss [\d.]+ acc [\d.]+\n/);
    assert.match(screen, /\r\x1b\[Kepoch 2: train loss/);
    assert.doesNotMatch(screen, /^step \d+\/6/m, 'no plain step lines on a terminal');

    // --json on a terminal: JSON lines only, no live line.
    const json = spawnSync('script', ['-qec', [process.execPath, ...cli([...TRAIN, '--json', '--out', join(dir, 'tty-json')])].map((a) => `'${a}'`).join(' '), '/dev/null'], { cwd: root, encoding: 'utf8' });
    assert.equal(json.status, 0, json.stdout + json.stderr);
    const jsonLines = json.stdout.replace(/\r\n/g, '\n').trimEnd().split('\n');
    assert.doesNotMatch(json.stdout.replace(/\r\n/g, '\n'), /\r|\x1b\[/, 'no live line with --json on a terminal');
    assert.ok(jsonLines.length > 6 && jsonLines.every((l) => typeof JSON.parse(l).type === 'string'), jsonLines.slice(0, 3).join('\n'));

    const piped = spawnSync(process.execPath, cli([...TRAIN, '--out', join(dir, 'piped')]), { cwd: root, encoding: 'utf8' });
    assert.equal(piped.status, 0, piped.stderr);
    assert.doesNotMatch(piped.stdout + piped.stderr, /\r|\x1b\[/, 'no control characters when piped');
    assert.match(piped.stdout, /^step 1\/6 epoch 1 loss/m);
    assert.match(piped.stdout, /^epoch 2: train loss/m);
  });
});
