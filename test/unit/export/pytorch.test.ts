/**
 * `bnlab export --format pytorch` against PyTorch 1.13 (Debian's python3-torch, /usr/bin/python3):
 * the generated module carries every BN option, the script trains the seed net to PyTorch's measured
 * accuracy, DDP with 2 gloo processes keeps the ranks' weights equal, and the run it writes loads back
 * into BN Lab with the same eval logits. Needs /usr/bin/python3 with torch: without it this FAILS.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIdx } from '../../../src/data/idx';
import { modelFromCheckpoint } from '../../../src/engine/checkpoint';
import type { EvalEvent, StatsEvent, StepEvent } from '../../../src/engine/events';
import { buildModel } from '../../../src/engine/model';
import { DEFAULT_TRAIN_CONFIG, predict, type TrainConfig } from '../../../src/engine/trainer';
import { pytorchScript } from '../../../src/export/pytorch';
import { parseRunEvents } from '../../../src/lab/run-file';
import reference from '../lab/seed-ref-digits-epoch1.json';

const root = resolve(__dirname, '../../..');
const PYTHON = '/usr/bin/python3';

function python(args: string[], cwd = root) {
  const r = spawnSync(PYTHON, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function bnlab(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: { code: number | null; stdout: string; stderr: string }, what: string) {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

/** Writes a generated train.py to `file`, imports it as module `m` in PyTorch and returns what `code` prints. */
function withModule(file: string, script: string, code: string): string {
  writeFileSync(file, script);
  return ok(python(['-c', `
import importlib.util, json, torch
spec = importlib.util.spec_from_file_location('exported', ${JSON.stringify(file)})
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
${code}`]), `importing ${file}`);
}

const events = (run: string) => parseRunEvents(readFileSync(join(run, 'metrics.jsonl'), 'utf8'), join(run, 'metrics.jsonl'));

describe('export/PyTorch training script (PyTorch 1.13)', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    const probe = python(['-c', 'import torch, numpy']);
    if (probe.code !== 0) assert.fail(`${PYTHON} cannot import torch and numpy (${probe.stderr.trim().split('\n').pop()}): install Debian's python3-torch`);
    dir = mkdtempSync(join(tmpdir(), 'bnlab-torch-export-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses flags without effect and a missing checkpoint with one line', () => {
    const cases: [string[], RegExp][] = [
      [['--format', 'pytorch', '--opset', '13', '--out', join(dir, 'x')], /^bnlab: --opset has no effect with --format pytorch \(ONNX only\)\n$/],
      [['--out', join(dir, 'x.onnx')], /^bnlab: required option '--checkpoint <dir>' not specified\n$/],
      [['--format', 'pytorch', '--model', 'conv(4,3) foo', '--out', join(dir, 'x')], /^bnlab: layer 2 "foo": unknown layer "foo"/],
    ];
    for (const [args, re] of cases) {
      const r = bnlab('export', ...args);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, re);
    }
  });

  it('carries every BN option into the generated nn.Sequential: momentum none, eps, affine off, track off, the Keras convention, frozen', () => {
    const spec = 'conv(4,3) bn(momentum=none) bn(eps=0.001,affine=false) bn(track=false) bn(keras,momentum=0.9) bn(frozen) flatten linear(8) bn(keras) linear(3)';
    const model = buildModel(spec, { sampleShape: [1, 6, 6], numClasses: 3 });
    const script = pytorchScript({
      model, config: { ...DEFAULT_TRAIN_CONFIG, spec }, normalization: { scale: 1 / 255 }, numClasses: 3, dataset: 'synthetic',
      data: { kind: 'idx-dir', dir: 'data' }, withWeights: false, bnlabVersion: 'test',
    });
    const out = withModule(join(dir, 'bn_options.py'), script['train.py'], `
net = m.build_model()
m.train_mode(net, net)
print(json.dumps({
  'bn': [{'index': i, 'cls': type(b).__name__, 'momentum': b.momentum, 'eps': b.eps, 'affine': b.affine, 'track': b.track_running_stats, 'training': b.training}
         for i, b in enumerate(net) if isinstance(b, torch.nn.modules.batchnorm._BatchNorm)],
  'state': {k: list(v.shape) for k, v in net.state_dict().items()}}))
`);
    const got = JSON.parse(out) as { bn: Record<string, unknown>[]; state: Record<string, number[]> };
    const close = (a: unknown, b: number | null) => (b === null ? a === null : typeof a === 'number' && Math.abs(a - b) < 1e-12);
    const want = [
      { index: 1, cls: 'BatchNorm2d', momentum: null, eps: 1e-5, affine: true, track: true, training: true },
      { index: 2, cls: 'BatchNorm2d', momentum: 0.1, eps: 1e-3, affine: false, track: true, training: true },
      { index: 3, cls: 'BatchNorm2d', momentum: 0.1, eps: 1e-5, affine: true, track: false, training: true },
      // Keras: moving = moving·0.9 + batch·0.1 is PyTorch's momentum 0.1; Keras' default eps is 1e-3.
      { index: 4, cls: 'BatchNorm2d', momentum: 0.1, eps: 1e-3, affine: true, track: true, training: true },
      { index: 5, cls: 'BatchNorm2d', momentum: 0.1, eps: 1e-5, affine: true, track: true, training: false },
      // bn(keras) defaults: momentum 0.99 (PyTorch 0.01), eps 1e-3.
      { index: 8, cls: 'BatchNorm1d', momentum: 0.01, eps: 1e-3, affine: true, track: true, training: true },
    ];
    assert.equal(got.bn.length, want.length);
    want.forEach((w, k) => {
      const g = got.bn[k];
      for (const key of ['index', 'cls', 'affine', 'track', 'training'] as const) assert.equal(g[key], w[key], `bn ${w.index} ${key}`);
      assert.ok(close(g.momentum, w.momentum), `bn ${w.index} momentum: got ${g.momentum}, want ${w.momentum}`);
      assert.ok(close(g.eps, w.eps), `bn ${w.index} eps: got ${g.eps}, want ${w.eps}`);
    });
    // The same state_dict names and shapes as BN Lab's checkpoints (so load_state_dict(strict=True) works both ways).
    assert.deepEqual(got.state, Object.fromEntries([...model.stateDict()].map(([k, { tensor }]) => [k, [...tensor.shape]])));
  });

  it('carries the optimizer and the LR schedule: SGD with Nesterov momentum and StepLR per step, AdamW and cosine per epoch', () => {
    const model = buildModel('flatten linear(3)', { sampleShape: [4], numClasses: 3 });
    const configs: [TrainConfig, string][] = [
      [{ ...DEFAULT_TRAIN_CONFIG, optimizer: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4, schedule: { kind: 'step', per: 'step', stepSize: 3, gamma: 0.5 } }, 'sgd'],
      [{ ...DEFAULT_TRAIN_CONFIG, optimizer: 'adamw', schedule: { kind: 'cosine' } }, 'adamw'],
    ];
    const got = configs.map(([config, name]) => {
      const script = pytorchScript({ model, config, normalization: { scale: 1 }, numClasses: 3, dataset: 'synthetic:blobs', data: { kind: 'idx-dir', dir: 'data' }, withWeights: false, bnlabVersion: 'test' });
      return JSON.parse(withModule(join(dir, `optim_${name}.py`), script['train.py'], `
net = m.build_model()
opt = m.make_optimizer(net.parameters(), m.EXPERIMENT['lr'])
sched = m.make_schedule(opt, 10)
g = {k: v for k, v in opt.param_groups[0].items() if k in ('lr', 'momentum', 'nesterov', 'weight_decay', 'betas', 'eps')}
lrs = []
for _ in range(7):
    lrs.append(opt.param_groups[0]['lr']); opt.step(); sched.step()
print(json.dumps({'opt': type(opt).__name__, 'group': g, 'sched': type(sched).__name__, 'per': m.EXPERIMENT['schedule_per'], 'lrs': lrs}))
`));
    });
    assert.deepEqual(got[0], { opt: 'SGD', group: { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 1e-4 }, sched: 'StepLR', per: 'step', lrs: [0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125] });
    assert.deepEqual([got[1].opt, got[1].group, got[1].sched, got[1].per], ['AdamW', { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01 }, 'CosineAnnealingLR', 'epoch']);
    // CosineAnnealingLR(T_max=10): BN Lab's lr(t) = 1e-3 · (1 + cos(π t / 10)) / 2.
    got[1].lrs.forEach((lr: number, t: number) => assert.ok(Math.abs(lr - (1e-3 * (1 + Math.cos((Math.PI * t) / 10))) / 2) < 1e-12, `cosine lr at ${t}: ${lr}`));
  });

  describe('the seed net on digits', () => {
    let exp: string, run: string;
    before(() => {
      exp = join(dir, 'seed');
      run = join(dir, 'seed-run');
      ok(bnlab('export', '--format', 'pytorch', '--model', 'seed', '--data', 'digits', '--out', exp), 'bnlab export --format pytorch');
    });

    it("trains one epoch single-process to a test accuracy in PyTorch's measured range, writing BN Lab's event stream", () => {
      ok(python([join(exp, 'train.py'), '--out', run, '--epochs', '1']), 'train.py');
      const ev = events(run);
      const steps = ev.filter((e): e is StepEvent => e.type === 'step');
      const stats = ev.filter((e): e is StatsEvent => e.type === 'stats');
      const evals = ev.filter((e): e is EvalEvent => e.type === 'eval');
      assert.equal(steps.length, 80, '8000 samples in batches of 100');
      assert.deepEqual(stats.map((s) => [s.step, s.bn.map((b) => [b.layer, b.channels, b.runningMean.length, b.histBefore.counts.length])]), [[50, [[1, 32, 32, 32], [6, 128, 128, 32]]]]);
      assert.equal(ev.at(-1)?.type, 'done');
      const [lo, hi] = [Math.min(...reference.bn), Math.max(...reference.bn)];
      assert.equal(evals.length, 1);
      assert.ok(evals[0].accuracy >= lo && evals[0].accuracy <= hi, `test accuracy ${evals[0].accuracy} outside PyTorch's measured ${lo}–${hi} (seed_ref.py, seeds 0–9)`);
    });

    it('its checkpoint loads back into BN Lab: bnlab eval gives its accuracy, and the eval logits match PyTorch', async () => {
      const torchEval = events(run).find((e): e is EvalEvent => e.type === 'eval')!;
      const r = JSON.parse(ok(bnlab('eval', '--checkpoint', run, '--json'), 'bnlab eval'));
      assert.ok(Math.abs(r.accuracy - torchEval.accuracy) <= 1 / r.count, `bnlab eval accuracy ${r.accuracy}, PyTorch's ${torchEval.accuracy}`);
      const images = join(exp, 'data', 't10k-images-idx3-ubyte.gz');
      const torchLogits: number[][] = JSON.parse(ok(python(['-c', `
import importlib.util, json, sys, torch
spec = importlib.util.spec_from_file_location('exported', ${JSON.stringify(join(exp, 'train.py'))})
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
net = m.build_model(); net.load_state_dict(m.read_safetensors(${JSON.stringify(join(run, 'model.safetensors'))}), strict=True); net.eval()
x = torch.from_numpy(m.read_idx(${JSON.stringify(images)}).copy()).unsqueeze(1)
with torch.no_grad():
    print(json.dumps(net(m.inputs(x)).tolist()))
`]), 'PyTorch eval logits'));
      const { model, meta } = await modelFromCheckpoint(run);
      const idx = parseIdx(gunzipSync(readFileSync(images)), images, 3);
      const logits = await predict(model, idx.data, idx.dims[0], meta.normalization);
      let err = 0;
      torchLogits.forEach((row, i) => row.forEach((b, j) => (err = Math.max(err, Math.abs(logits.data[i * row.length + j] - b) / Math.max(1, Math.abs(b))))));
      console.log(`      eval logits: max |BN Lab − PyTorch| / max(1, |PyTorch|) = ${err.toExponential(2)} over ${torchLogits.length} test images`);
      assert.ok(err <= 1e-5, `eval logits differ by ${err} (relative)`);
    });

    it('trains 20 steps in 2 processes (--spawn 2, gloo): both ranks end with identical weights', () => {
      const out = ok(python([join(exp, 'train.py'), '--out', join(dir, 'ddp-run'), '--spawn', '2', '--steps', '20', '--batch', '50', '--stats-every', '10']), 'train.py --spawn 2');
      const m = /2 processes: parameters differ by at most (\S+) across ranks/.exec(out);
      assert.ok(m, `no agreement line in:\n${out}`);
      assert.equal(Number(m[1]), 0, 'the ranks\' parameters differ');
      const ev = events(join(dir, 'ddp-run'));
      const start = ev[0];
      assert.ok(start.type === 'start' && start.batchSize === 100 && /x2 \(gloo\)/.test(start.backend), JSON.stringify(start).slice(0, 300));
      assert.equal(ev.filter((e) => e.type === 'step').length, 20);
    });

    it('--sync-bn on a PyTorch that refuses it on the CPU says so in one line', () => {
      const r = python([join(exp, 'train.py'), '--out', join(dir, 'sync-run'), '--spawn', '2', '--steps', '1', '--sync-bn']);
      if (r.code === 0) return; // this PyTorch runs SyncBatchNorm on the CPU
      assert.equal(r.code, 2);
      assert.match(r.stderr.trim(), /^train\.py: --sync-bn: SyncBatchNorm layers only work with GPU modules here \(PyTorch [^)]+, --device cpu\); use --device cuda, or leave out --sync-bn/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  });
});
