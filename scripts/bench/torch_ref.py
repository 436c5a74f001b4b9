"""PyTorch side of `npm run bench` (run with /usr/bin/python3 and Debian's python3-torch).

A small server so that the bench can time PyTorch and BN Lab alternately in one run:
  argv[1]: intra-op threads (0: all cores, os.cpu_count())
  stdin, one JSON object a line: {"case": NAME, "reps": N} -> stdout: {"ms": [N times]}
                                 {"case": "info"}          -> stdout: version, threads, BLAS, peak RSS
The first line printed is the info object (after a matmul, so the BLAS library is loaded).
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn

default_threads = torch.get_num_threads()
requested = int(sys.argv[1]) if len(sys.argv) > 1 else 0
torch.set_num_threads(requested or os.cpu_count())
torch.manual_seed(0)


def seed_net():
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(32 * 14 * 14, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))


net = seed_net()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x100 = torch.rand(100, 1, 28, 28)
x1000 = torch.rand(1000, 1, 28, 28)
y100 = torch.randint(0, 10, (100,))
loss_fn = nn.CrossEntropyLoss()


def train_step():
    net.train()
    opt.zero_grad()
    loss_fn(net(x100), y100).backward()
    opt.step()


def evaluate(x):
    def run():
        net.eval()
        with torch.no_grad():
            net(x)
    return run


def bn_fwd_bwd(shape):
    bn = nn.BatchNorm1d(shape[1]) if len(shape) == 2 else nn.BatchNorm2d(shape[1])
    bx = torch.randn(*shape, requires_grad=True)
    dy = torch.randn(*shape)

    def run():
        bx.grad = None
        bn(bx).backward(dy)
    return run


conv = nn.Conv2d(1, 32, 5, padding=2)


def conv_fwd():
    with torch.no_grad():
        conv(x100)


copy_src = torch.rand(16 << 20)  # 64 MB, as in bench.ts
copy_dst = torch.empty_like(copy_src)

cases = {
    'train_step': train_step,
    'eval_100': evaluate(x100),
    'eval_1000': evaluate(x1000),
    'bn2d': bn_fwd_bwd((100, 32, 28, 28)),
    'bn1d': bn_fwd_bwd((100, 128)),
    'conv_fwd': conv_fwd,
    'copy': lambda: copy_dst.copy_(copy_src),
}


def blas_library():
    """The BLAS shared library actually mapped into this process."""
    with open('/proc/self/maps') as maps:
        libs = sorted({line.split()[-1] for line in maps if 'blas' in line.lower() or 'mkl' in line.lower()})
    return libs[0] if libs else 'none found'


def info():
    return {
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'default_threads': default_threads,
        'blas': blas_library(),
        'max_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def timed(fn, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


torch.ones(64, 64) @ torch.ones(64, 64)
print(json.dumps(info()), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    out = info() if req['case'] == 'info' else {'ms': timed(cases[req['case']], req['reps'])}
    print(json.dumps(out), flush=True)
