import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decodeSafetensors, Rng } from '../../../src/engine';
import { modelFromCheckpoint } from '../../../src/engine/checkpoint';
import { predict } from '../../../src/engine/trainer';

const root = resolve(__dirname, '../../..');
function bnlab(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Asserts a failure with exactly one line on stderr matching `re`, and no stack trace. */
function failsWith(r: ReturnType<typeof bnlab>, re: RegExp) {
  assert.notEqual(r.code, 0, 'exit code should be non-zero');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /^bnlab: /);
  assert.match(lines[0], re);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

const DATA = 'synthetic:shapes,n=60,test=20';
const SPEC = 'conv(2,3,stride=2) bn relu flatten linear';

describe('bnlab CLI', function () {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'bnlab-cli-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects bad flag values, unknown layers and missing files with one clear line', () => {
    failsWith(bnlab('train', '--bn-momentum', '2'), /--bn-momentum.*'2' is invalid.*\[0, 1\] or none/);
    failsWith(bnlab('train', '--batch', '0'), /--batch.*'0' is invalid.*integer ≥ 1/);
    failsWith(bnlab('train', '--threads', '0'), /--threads.*'0' is invalid.*integer in \[1, 256\]/);
    failsWith(bnlab('train', '--seed', '4294967296'), /--seed.*'4294967296' is invalid.*integer in \[0, 4294967295\]/);
    failsWith(bnlab('train', '--data', DATA, '--model', 'conv(4,3) foo'), /layer 2 "foo": unknown layer "foo"/);
    failsWith(bnlab('train', '--data', DATA, '--model', 'conv(4,3) linear(10)'), /layer 2 "linear\(10\)".*\[4, 26, 26\]/);
    failsWith(bnlab('train', '--data', 'fashion-mnist:/no/such/dir'), /\/no\/such\/dir/);
    failsWith(bnlab('train', '--data', DATA, '--init', join(dir, 'missing')), /checkpoint ".*missing" does not exist/);
    failsWith(bnlab('eval', '--checkpoint', join(dir, 'missing')), /does not exist/);
    failsWith(bnlab('train', '--epochs', '1', '--steps', '2'), /cannot be used with/);
    failsWith(bnlab('train', '--frobnicate'), /unknown option '--frobnicate'/);
  });

  it('rejects flags that would have no effect, and --out paths of the wrong kind, with one clear line', () => {
    failsWith(bnlab('train', '--data', DATA, '--no-bn', '--bn-momentum', '0.5', '--no-bn-affine'), /--bn-momentum, --no-bn-affine have no effect with --no-bn/);
    failsWith(bnlab('train', '--data', DATA, '--momentum', '0.9'), /--momentum has no effect with --optimizer adam/);
    failsWith(bnlab('train', '--data', DATA, '--schedule', 'cosine', '--gamma', '0.5'), /--gamma has no effect with --schedule cosine/);
    failsWith(bnlab('train', '--data', DATA, '--step-size', '3'), /--step-size has no effect with --schedule none/);
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    failsWith(bnlab('train', '--model', SPEC, '--data', DATA, '--steps', '1', '--out', file), /--out ".*a-file" is a file, not a folder/);
    failsWith(bnlab('train', '--model', SPEC, '--data', DATA, '--steps', '1', '--out', join(file, 'sub')), /^bnlab: --out ".*a-file\/sub": cannot write in .*a-file\/sub \(.*a-file is a file, not a folder\)$/);
    for (const args of [['--model', 'conv(4,3) foo'], ['--optimizer', 'sgd', '--nesterov']]) {
      failsWith(bnlab('train', ...args, '--data', DATA, '--out', join(dir, 'bad-run')), /foo|nesterov/);
      assert.ok(!existsSync(join(dir, 'bad-run')), `a failed ${args.join(' ')} left its run folder behind`);
    }
    const three = join(dir, 'three-classes');
    assert.equal(bnlab('train', '--model', SPEC, '--data', 'synthetic:shapes,n=30,test=10,classes=3', '--steps', '1', '--out', three).code, 0);
    failsWith(bnlab('eval', '--checkpoint', three, '--data', DATA), /checkpoint ".*three-classes" predicts 3 classes, but data "synthetic:shapes,n=60,test=20" has 10/);
  });

  it('trains (JSON lines), then evals and predicts from the checkpoint; --init with --lr 0 keeps the weights', async () => {
    const out = join(dir, 'run');
    const r = bnlab('train', '--model', SPEC, '--data', DATA, '--steps', '3', '--batch', '20', '--threads', '2', '--json', '--out', out, '--normalize', 'mean=0.5,std=0.25');
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.type), ['start', 'step', 'step', 'step', 'eval', 'checkpoint', 'done']);
    assert.equal(events.at(-1).reason, 'completed');
    for (const f of ['model.safetensors', 'model.json', 'metrics.jsonl']) assert.ok(existsSync(join(out, f)), f);
    assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 7);
    const meta = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    assert.equal(meta.spec, 'conv(2,3,stride=2) bn relu flatten linear(10)');
    assert.deepEqual(meta.normalization, { scale: 1 / 255, mean: [0.5], std: [0.25] });
    assert.equal(meta.training.normalize, 'mean=0.5,std=0.25');

    const ev = bnlab('eval', '--checkpoint', out, '--data', DATA);
    assert.equal(ev.code, 0, ev.stderr);
    assert.match(ev.stdout, /^test loss \d+\.\d{4} accuracy \d\.\d{4} \(20 samples of synthetic/);

    const images = Buffer.alloc(16 + 3 * 28 * 28);
    images.writeUInt32BE(0x803, 0);
    images.writeUInt32BE(3, 4);
    images.writeUInt32BE(28, 8);
    images.writeUInt32BE(28, 12);
    const rng = new Rng(4);
    for (let i = 16; i < images.length; i++) images[i] = rng.int(256);
    writeFileSync(join(dir, 'images.idx.gz'), gzipSync(images));
    const npy = join(dir, 'logits.npy');
    const pr = bnlab('predict', '--checkpoint', out, '--input', join(dir, 'images.idx.gz'), '--out', npy);
    assert.equal(pr.code, 0, pr.stderr);
    const bytes = readFileSync(npy);
    const headerLen = bytes.readUInt16LE(8);
    assert.equal(bytes.subarray(0, 6).toString('latin1'), '\x93NUMPY');
    assert.equal((10 + headerLen) % 64, 0);
    assert.match(bytes.subarray(10, 10 + headerLen).toString(), /'descr': '<f4', 'fortran_order': False, 'shape': \(3, 10\)/);
    const logits = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLen, bytes.byteOffset + bytes.length));
    const { model, meta: m2 } = await modelFromCheckpoint(out);
    assert.deepEqual(Array.from(logits), Array.from((await predict(model, new Uint8Array(images.subarray(16)), 3, m2.normalization)).data));
    failsWith(bnlab('predict', '--checkpoint', out, '--input', join(dir, 'images.idx.gz'), '--out', dir), /--out ".*" is a folder, not a regular file; give a file name/);

    const out2 = join(dir, 'run2');
    const r2 = bnlab('train', '--model', SPEC, '--data', DATA, '--steps', '2', '--batch', '20', '--lr', '0', '--init', out, '--out', out2);
    assert.equal(r2.code, 0, r2.stderr);
    const meta2 = JSON.parse(readFileSync(join(out2, 'model.json'), 'utf8'));
    assert.deepEqual(meta2.normalization, { scale: 1 / 255, mean: [0.5], std: [0.25] }, "--init's normalization is kept without --normalize");
    const before = decodeSafetensors(readFileSync(join(out, 'model.safetensors'))).tensors;
    const after = decodeSafetensors(readFileSync(join(out2, 'model.safetensors'))).tensors;
    for (const [k, v] of before) {
      if (/running|num_batches/.test(k)) continue;
      assert.deepEqual(after.get(k)!.tensor.data, v.tensor.data, k);
    }
    failsWith(bnlab('train', '--model', SPEC, '--data', DATA, '--no-bn', '--init', out, '--out', join(dir, 'run3')), /unexpected keys 1\.weight/);
  });

  it('records idx: paths absolute in model.json, so eval works from another folder', () => {
    const idx = (dims: number[]) => {
      const b = Buffer.alloc(4 + 4 * dims.length + dims.reduce((a, d) => a * d, 1));
      b.writeUInt32BE(0x800 + dims.length, 0);
      dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
      for (let i = 4 + 4 * dims.length, k = 0; i < b.length; i++, k++) b[i] = dims.length === 1 ? k % 2 : (k * 7) % 256;
      return b;
    };
    writeFileSync(join(dir, 'i.idx'), idx([20, 28, 28]));
    writeFileSync(join(dir, 'l.idx'), idx([20]));
    const out = join(dir, 'relative-idx');
    const rel = relative(root, dir);
    assert.equal(bnlab('train', '--model', 'flatten linear', '--data', `idx:${rel}/i.idx,${rel}/l.idx`, '--steps', '1', '--out', out).code, 0);
    assert.equal(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).dataset, `idx:${join(dir, 'i.idx')},${join(dir, 'l.idx')}`);
  });

  it('BN flags reach every bn layer: --bn-momentum none (cumulative average), --bn-eps, --no-bn-affine', async () => {
    const out = join(dir, 'bnflags');
    const r = bnlab('train', '--model', SPEC, '--data', DATA, '--steps', '2', '--batch', '20', '--bn-momentum', 'none', '--bn-eps', '0.001', '--no-bn-affine', '--json', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const meta = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    assert.match(meta.spec, /bn\(momentum=none,eps=0\.001,affine=false\)/);
    const { model } = await modelFromCheckpoint(out);
    const sd = model.stateDict();
    assert.ok(!sd.has('1.weight') && sd.has('1.running_mean'), 'affine off: no γ/β, running stats kept');
  });

  it('Ctrl-C (SIGINT) cancels at the next step, keeps a checkpoint and exits 130', async () => {
    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'train', '--model', SPEC, '--data', DATA, '--epochs', '1000', '--batch', '20', '--json', '--out', out], { cwd: root });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (stdout.includes('"type":"step"') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    assert.equal(code, 130);
    const done = JSON.parse(stdout.trim().split('\n').at(-1)!);
    assert.equal(done.reason, 'cancelled');
    assert.equal(done.checkpoint, out);
    assert.ok(existsSync(join(out, 'model.safetensors')));
  });
});
