#!/usr/bin/python3
"""PyTorch 1.13 reference runs of BN Lab's `seed` net, for the accuracy test and README figures.

    /usr/bin/python3 scripts/torch/seed_ref.py --data fashion|digits [--train N] [--test N]
        [--epochs E] [--seeds 0-9] [--no-bn] [--threads T]

The recipe BN Lab's trainer uses: nn.Sequential of the `seed` preset
(conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear(10)), PyTorch default init,
Adam lr 1e-3, batch 100 (last batch partial), a fresh shuffle each epoch, inputs x/255,
test accuracy in eval mode (running statistics) after every epoch.
--train/--test take the first N samples of each split in file order (the test's subset).
Data: fashion = /usr/share/datasets/fashion-mnist (IDX .gz); digits = media/digits.bin (npm run build).
Prints one JSON line per seed: {"seed", "acc": [per-epoch test accuracy]}, then min/median/max per epoch.
"""
import argparse
import gzip
import json
import os
import statistics

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
FASHION = '/usr/share/datasets/fashion-mnist'


def idx(path, header):
    with gzip.open(path) as f:
        return np.frombuffer(f.read()[header:], dtype=np.uint8)


def load(name):
    """(train_x, train_y, test_x, test_y) as uint8 arrays, images [N, 1, 28, 28]."""
    if name == 'fashion':
        img = lambda s: idx(f'{FASHION}/{s}-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)
        lbl = lambda s: idx(f'{FASHION}/{s}-labels-idx1-ubyte.gz', 8)
        return img('train'), lbl('train'), img('t10k'), lbl('t10k')
    with gzip.open(os.path.join(ROOT, 'media', 'digits.bin')) as f:
        b = np.frombuffer(f.read(), dtype=np.uint8)
    assert bytes(b[:4]) == b'BNLD' and b[4] == 1, 'media/digits.bin: bad header'
    n_train, n_test = (int(v) for v in b[8:16].view('<u4'))
    at = 16
    parts = []
    for n in (n_train, n_test):
        parts.append(b[at:at + n * 784].reshape(n, 1, 28, 28)); at += n * 784
        parts.append(b[at:at + n]); at += n
    return tuple(parts)


def seed_net(bn):
    layers = [nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
              nn.Linear(32 * 14 * 14, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10)]
    return nn.Sequential(*[l for l in layers if bn or not isinstance(l, (nn.BatchNorm1d, nn.BatchNorm2d))])


def run(seed, data, epochs, bn):
    tx, ty, vx, vy = data
    torch.manual_seed(seed)
    model = seed_net(bn)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.from_numpy(tx.astype(np.float32) / 255)
    y = torch.from_numpy(ty.astype(np.int64))
    xv = torch.from_numpy(vx.astype(np.float32) / 255)
    yv = torch.from_numpy(vy.astype(np.int64))
    accs = []
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 100):
            b = perm[i:i + 100]
            opt.zero_grad()
            loss_fn(model(x[b]), y[b]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct = sum(int((model(xv[i:i + 500]).argmax(1) == yv[i:i + 500]).sum()) for i in range(0, len(xv), 500))
        accs.append(correct / len(xv))
    return accs


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--data', choices=['fashion', 'digits'], required=True)
    p.add_argument('--train', type=int, default=0, help='first N train samples (0: all)')
    p.add_argument('--test', type=int, default=0, help='first N test samples (0: all)')
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--seeds', default='0-4', help='e.g. 0-9')
    p.add_argument('--no-bn', action='store_true')
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    tx, ty, vx, vy = load(a.data)
    if a.train: tx, ty = tx[:a.train], ty[:a.train]
    if a.test: vx, vy = vx[:a.test], vy[:a.test]
    lo, hi = (int(s) for s in a.seeds.split('-')) if '-' in a.seeds else (int(a.seeds),) * 2
    results = []
    for seed in range(lo, hi + 1):
        accs = run(seed, (tx, ty, vx, vy), a.epochs, not a.no_bn)
        results.append(accs)
        print(json.dumps({'seed': seed, 'acc': accs}), flush=True)
    for e in range(a.epochs):
        col = [r[e] for r in results]
        print(json.dumps({'epoch': e + 1, 'min': min(col), 'median': statistics.median(col), 'max': max(col)}))


if __name__ == '__main__':
    main()
