"""PyTorch reference timings for `npm run bench` (run with /usr/bin/python3 and Debian's python3-torch).

Prints one JSON object: medians in milliseconds for the shapes BN Lab benchmarks.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
torch.set_num_threads(threads)
torch.manual_seed(0)


def timed(fn, n):
    fn()  # warm-up
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def seed_net():
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(32 * 14 * 14, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))


net = seed_net()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x = torch.rand(100, 1, 28, 28)
y = torch.randint(0, 10, (100,))
loss_fn = nn.CrossEntropyLoss()


def train_step():
    opt.zero_grad()
    loss_fn(net(x), y).backward()
    opt.step()


def eval_batch():
    with torch.no_grad():
        net.eval()
        net(x)
        net.train()


bn = nn.BatchNorm2d(32)
bx = torch.randn(100, 32, 28, 28, requires_grad=True)
bdy = torch.randn(100, 32, 28, 28)


def bn_fwd_bwd():
    bx.grad = None
    bn(bx).backward(bdy)


conv = nn.Conv2d(1, 32, 5, padding=2)


def conv_fwd():
    with torch.no_grad():
        conv(x)


print(json.dumps({
    "torch": torch.__version__,
    "threads": threads,
    "train_step_ms": timed(train_step, steps),
    "eval_batch_ms": timed(eval_batch, steps),
    "bn2d_fwd_bwd_ms": timed(bn_fwd_bwd, steps),
    "conv_fwd_ms": timed(conv_fwd, steps),
}))
