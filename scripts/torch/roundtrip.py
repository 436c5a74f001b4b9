#!/usr/bin/python3
"""Checkpoint round-trip between BN Lab and PyTorch 1.13, both ways.

  /usr/bin/python3 scripts/torch/roundtrip.py [--workdir DIR] [--json]

(a) BN Lab -> PyTorch: `bnlab train` writes a checkpoint; PyTorch loads model.safetensors into the same
    nn.Sequential with load_state_dict(strict=True) and reproduces the eval-mode logits that
    `bnlab predict` wrote (.npy).
(b) PyTorch -> BN Lab: PyTorch trains a few steps (so running stats and num_batches_tracked are
    non-trivial) and saves its state_dict as safetensors (+ model.json); `bnlab predict` on it
    reproduces PyTorch's eval-mode logits.
Each way runs for the seed net and for a spec with grouped conv, no bias, BN momentum=None,
affine=False and track_running_stats=False. safetensors is read and written here directly (8-byte LE
header length, JSON header, raw LE data): Debian has no safetensors package.
Errors are max |a-b| / max(1,|b|) against PyTorch's float64 eval of the same weights; exit 1 if any
exceeds --tol (default 1e-5).
"""
import argparse
import json
import os
import re
import shlex
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SEED = 'conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear(10)'
VARIANT = ('conv(8,3,pad=1) bn(momentum=none) relu conv(16,3,stride=2,groups=8,bias=false) bn(affine=false) '
           'leakyrelu(0.1) avgpool(2) flatten linear(32,bias=false) bn(track=false) relu linear(10)')
DTYPES = {'F32': '<f4', 'F64': '<f8', 'I64': '<i8', 'I32': '<i4'}


# ---------------------------------------------------------------- formats

def read_safetensors(path):
    """-> (ordered list of (name, numpy array, dtype string)), metadata. Strict about the layout."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    body = data[8 + n:]
    meta = header.pop('__metadata__', {})
    out, end = [], 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets'][0]):
        b, e = info['data_offsets']
        assert b == end, f'{path}: {name} starts at {b}, previous tensor ended at {end}'
        dt = np.dtype(DTYPES[info['dtype']])
        count = int(np.prod(info['shape'], dtype=np.int64))
        assert e - b == count * dt.itemsize, f'{path}: {name} has {e - b} bytes for {info["shape"]} {info["dtype"]}'
        out.append((name, np.frombuffer(body[b:e], dtype=dt).reshape(info['shape']).copy(), info['dtype']))
        end = e
    assert end == len(body), f'{path}: {len(body) - end} trailing bytes'
    return out, meta


def write_safetensors(path, state_dict, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name, t in state_dict.items():
        a = t.detach().cpu().numpy()
        dtype = {np.dtype('float32'): 'F32', np.dtype('int64'): 'I64'}[a.dtype]
        raw = a.astype(DTYPES[dtype]).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header).encode()
    js += b' ' * (-len(js) % 8)
    atomic_write(path, struct.pack('<Q', len(js)) + js + b''.join(blobs))


def write_idx_images(path, images):
    n, h, w = images.shape
    atomic_write(path, struct.pack('>IIII', 0x00000803, n, h, w) + images.astype(np.uint8).tobytes())


def atomic_write(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


# ---------------------------------------------------------------- spec -> nn.Sequential

def parse_spec(spec):
    layers = []
    for word in re.findall(r'\w+(?:\([^)]*\))?', spec):
        m = re.match(r'(\w+)(?:\((.*)\))?$', word)
        args, kwargs = [], {}
        for part in filter(None, (p.strip() for p in (m.group(2) or '').split(','))):
            if '=' in part:
                k, v = part.split('=')
                kwargs[k] = None if v == 'none' else (v == 'true') if v in ('true', 'false') else float(v)
            else:
                args.append(float(part))
        layers.append((m.group(1), args, kwargs))
    return layers


def torch_model(spec, sample_shape):
    """The nn.Sequential a BN Lab spec stands for (a subset of layers), built for `sample_shape`."""
    mods, shape = [], list(sample_shape)
    for kind, args, kw in parse_spec(spec):
        if kind == 'conv':
            k = int(args[1])
            m = nn.Conv2d(shape[0], int(args[0]), k, stride=int(kw.get('stride', 1)), padding=int(kw.get('pad', 0)),
                          dilation=int(kw.get('dilation', 1)), groups=int(kw.get('groups', 1)), bias=kw.get('bias', True))
        elif kind == 'bn':
            cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            m = cls(shape[0], eps=kw.get('eps', 1e-5), momentum=kw.get('momentum', 0.1),
                    affine=kw.get('affine', True), track_running_stats=kw.get('track', True))
        elif kind == 'relu':
            m = nn.ReLU()
        elif kind == 'leakyrelu':
            m = nn.LeakyReLU(args[0] if args else kw.get('slope', 0.01))
        elif kind in ('maxpool', 'avgpool'):
            k = int(args[0])
            cls = nn.MaxPool2d if kind == 'maxpool' else nn.AvgPool2d
            m = cls(k, int(kw.get('stride', k)), int(kw.get('pad', 0)))
        elif kind == 'flatten':
            m = nn.Flatten()
        elif kind == 'linear':
            m = nn.Linear(shape[0], int(args[0]), bias=kw.get('bias', True))
        else:
            raise SystemExit(f'roundtrip.py: layer "{kind}" is not mapped to PyTorch here')
        mods.append(m)
        with torch.no_grad():
            shape = list(m.eval()(torch.zeros(2, *shape)).shape[1:])
    return nn.Sequential(*mods)


# ---------------------------------------------------------------- helpers

def err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


def bnlab(cli, *args):
    cmd = shlex.split(cli) + list(args)
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f'roundtrip.py: `{" ".join(cmd)}` failed ({r.returncode}):\n{r.stdout[-2000:]}{r.stderr[-2000:]}')
    return r.stdout


def eval_logits(model, images, scale):
    """PyTorch eval-mode logits in float64 (the reference) and float32, inputs = pixels * scale."""
    x = torch.from_numpy(images.astype(np.float32)).unsqueeze(1) * np.float32(scale)
    outs = []
    for dt in (torch.float64, torch.float32):
        m = model.to(dt).eval()
        with torch.no_grad():
            outs.append(m(x.to(dt)).numpy())
    model.float()
    return outs


def test_images(n, seed):
    g = np.random.default_rng(seed)
    imgs = g.integers(0, 256, (n, 28, 28)).astype(np.uint8)
    imgs[: n // 2, :, :] = 0  # half: a bright rectangle on black, like the synthetic shapes
    for i in range(n // 2):
        r, c = g.integers(2, 14, 2)
        imgs[i, r:r + 10, c:c + 12] = g.integers(120, 256)
    return imgs


# ---------------------------------------------------------------- the two directions

def bnlab_to_torch(cli, work, name, spec, train_args, images_path, images):
    out = os.path.join(work, f'bnlab-{name}')
    bnlab(cli, 'train', '--model', spec, '--data', 'synthetic', '--out', out, '--json', *train_args)
    logits_path = os.path.join(work, f'bnlab-{name}-logits.npy')
    bnlab(cli, 'predict', '--checkpoint', out, '--input', images_path, '--out', logits_path)
    ours = np.load(logits_path)
    meta = json.load(open(os.path.join(out, 'model.json')))
    tensors, _ = read_safetensors(os.path.join(out, 'model.safetensors'))
    model = torch_model(meta['spec'], meta['sampleShape'])
    expected = model.state_dict()
    assert [n for n, _, _ in tensors] == list(expected), f'key order differs: {[n for n, _, _ in tensors]} vs {list(expected)}'
    sd = {}
    for key, a, dtype in tensors:
        want = 'I64' if key.endswith('num_batches_tracked') else 'F32'
        assert dtype == want, f'{key} is stored as {dtype}, PyTorch has {want}'
        sd[key] = torch.from_numpy(a)
    model.load_state_dict(sd, strict=True)
    nbt = [int(v) for k, v in model.state_dict().items() if k.endswith('num_batches_tracked')]
    ref64, ref32 = eval_logits(model, images, meta['normalization']['scale'])
    assert ours.shape == ref64.shape, f'logits shape {ours.shape} vs {ref64.shape}'
    return {'direction': 'bnlab->torch', 'case': name, 'spec': meta['spec'], 'keys': len(sd),
            'num_batches_tracked': nbt, 'err': err(ours, ref64), 'torch_f32_err': err(ref32, ref64),
            'accuracy_agreement': float(np.mean(ours.argmax(1) == ref64.argmax(1)))}


def torch_to_bnlab(cli, work, name, spec, steps, images_path, images, seed):
    torch.manual_seed(seed)
    model = torch_model(spec, [1, 28, 28])
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randint(0, 256, (16, 1, 28, 28), generator=g).float() / 255
        y = torch.randint(0, 10, (16,), generator=g)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    out = os.path.join(work, f'torch-{name}')
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, 'model.safetensors'), model.state_dict(), {'format': 'pt'})
    meta = {'format': 'bnlab-checkpoint', 'bnlabVersion': '0.1.0', 'spec': spec, 'sampleShape': [1, 28, 28],
            'numClasses': 10, 'normalization': {'scale': 1 / 255}, 'dataset': 'pytorch',
            'createdAt': '1970-01-01T00:00:00.000Z'}
    atomic_write(os.path.join(out, 'model.json'), (json.dumps(meta, indent=2) + '\n').encode())
    logits_path = os.path.join(work, f'torch-{name}-logits.npy')
    bnlab(cli, 'predict', '--checkpoint', out, '--input', images_path, '--out', logits_path)
    ours = np.load(logits_path)
    ref64, ref32 = eval_logits(model, images, 1 / 255)
    assert ours.shape == ref64.shape, f'logits shape {ours.shape} vs {ref64.shape}'
    nbt = [int(v) for k, v in model.state_dict().items() if k.endswith('num_batches_tracked')]
    return {'direction': 'torch->bnlab', 'case': name, 'spec': spec, 'keys': len(model.state_dict()),
            'num_batches_tracked': nbt, 'err': err(ours, ref64), 'torch_f32_err': err(ref32, ref64),
            'accuracy_agreement': float(np.mean(ours.argmax(1) == ref64.argmax(1)))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--workdir', help='keep the files here (default: a temporary directory)')
    ap.add_argument('--cli', default='npx tsx src/cli/main.ts', help='how to run bnlab (from the repo root)')
    ap.add_argument('--tol', type=float, default=1e-5)
    ap.add_argument('--json', action='store_true', help='print one JSON object as the last line')
    a = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix='bnlab-roundtrip-') as tmp:
        work = a.workdir or tmp
        os.makedirs(work, exist_ok=True)
        images = test_images(32, 0)
        images_path = os.path.join(work, 'images.idx')
        write_idx_images(images_path, images)
        results = [
            bnlab_to_torch(a.cli, work, 'seed', 'seed', ['--steps', '12', '--batch', '16', '--optimizer', 'sgd',
                                                         '--lr', '0.05', '--momentum', '0.9', '--seed', '3'],
                           images_path, images),
            bnlab_to_torch(a.cli, work, 'variant', VARIANT, ['--steps', '8', '--batch', '16', '--optimizer', 'adam',
                                                             '--seed', '4'], images_path, images),
            torch_to_bnlab(a.cli, work, 'seed', SEED, 5, images_path, images, 5),
            torch_to_bnlab(a.cli, work, 'variant', VARIANT, 5, images_path, images, 6),
        ]
    ok = all(r['err'] <= a.tol for r in results)
    for r in results:
        print(f"{r['direction']:13} {r['case']:8} max err {r['err']:.2e} (PyTorch float32: {r['torch_f32_err']:.2e}), "
              f"argmax agreement {r['accuracy_agreement']:.0%}, num_batches_tracked {r['num_batches_tracked']}")
    if a.json:
        print(json.dumps({'ok': ok, 'tol': a.tol, 'results': results}))
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
