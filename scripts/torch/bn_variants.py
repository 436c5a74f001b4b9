#!/usr/bin/python3
"""Ghost BN, Batch Renormalization and BN recalibration, written from the papers' equations, and
the golden fixtures made from them for BN Lab's tests.

Run:  /usr/bin/python3 scripts/torch/bn_variants.py [OUT_DIR]   (default test/fixtures/golden)
writes bn_variants.{json,bin} in gen_golden.py's format (float64 reference, float32 inputs).

Definitions (the same in BN Lab's engine, src/engine/layers/batchnorm.ts):
- Ghost BN (Hoffer, Hubara, Soudry 2017, Algorithm 1): a batch of N = K*g samples splits into K
  virtual batches of g; BN Lab's split is strided (sample n is in virtual batch n mod K, as David
  Page's GhostBatchNorm reads the batch as [g, K*C, ...]). Each virtual batch is normalized with
  its own mean and biased variance; the running statistics take one update per virtual batch, in
  order k = 0..K-1 (PyTorch's convention: unbiased variance, momentum or cumulative average), so
  num_batches_tracked grows by K per batch. A batch of at most g samples is one virtual batch.
- Batch Renormalization (Ioffe 2017, Algorithm 1): sigma_B = sqrt(var_B + eps) (biased variance),
  sigma = sqrt(running_var + eps); r = clip(sigma_B/sigma, 1/rmax_t, rmax_t) and
  d = clip((mu_B - mu)/sigma, -dmax_t, dmax_t), both without gradient; x_hat = (x - mu_B)/sigma_B*r + d;
  y = gamma*x_hat + beta; then the running statistics update as in PyTorch's BN. Warm-up: at step
  t = num_batches_tracked before the update, f = min(1, t/warmup) (1 when warmup = 0),
  rmax_t = 1 + (rmax - 1)*f, dmax_t = dmax*f. Inference is plain BN with the running statistics.
- Recalibration ("precise BN"): torch.optim.swa_utils.update_bn itself.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import update_bn

sys.path.insert(0, os.path.dirname(__file__))
from gen_golden import FixtureSet, leaf, randn  # noqa: E402


def reduce_dims(x):
    return [0] + list(range(2, x.dim()))


def per_channel(v, x):
    return v.view([1, -1] + [1] * (x.dim() - 2))


def update_running(stats, mu, var_unbiased, momentum):
    """PyTorch's BN running update (in place): stats = [running_mean, running_var, num_batches_tracked]."""
    stats[2] += 1
    m = momentum if momentum is not None else 1.0 / stats[2]
    stats[0] = (1 - m) * stats[0] + m * mu
    stats[1] = (1 - m) * stats[1] + m * var_unbiased


def ghost_bn(x, gamma, beta, stats, g, momentum, eps, training):
    """Ghost BN; returns y and the per-virtual-batch means and biased variances ([K, C])."""
    if not training:
        return plain_bn_eval(x, gamma, beta, stats, eps), None, None
    N = x.shape[0]
    K = N // g if N > g else 1
    assert N == K * g or K == 1
    dims = reduce_dims(x)
    ys, means, variances = [], [], []
    for k in range(K):
        xb = x[k::K]
        mu = xb.mean(dims)
        var = ((xb - per_channel(mu, xb)) ** 2).mean(dims)
        xhat = (xb - per_channel(mu, xb)) / per_channel(torch.sqrt(var + eps), xb)
        ys.append(xhat * per_channel(gamma, xb) + per_channel(beta, xb) if gamma is not None else xhat)
        n = xb.numel() // xb.shape[1]
        with torch.no_grad():
            update_running(stats, mu, var * n / (n - 1), momentum)
        means.append(mu)
        variances.append(var)
    y = torch.stack(ys, dim=1).reshape(x.shape)  # [g, K, C, ...]: sample j*K + k
    return y, torch.stack(means).detach(), torch.stack(variances).detach()


def plain_bn_eval(x, gamma, beta, stats, eps):
    xhat = (x - per_channel(stats[0], x)) / per_channel(torch.sqrt(stats[1] + eps), x)
    return xhat * per_channel(gamma, x) + per_channel(beta, x) if gamma is not None else xhat


def batch_renorm(x, gamma, beta, stats, rmax, dmax, warmup, momentum, eps, training, clipped=None):
    """Batch renorm; returns y, r and d; appends to `clipped` how many channels' r and d the clip changed."""
    if not training:
        return plain_bn_eval(x, gamma, beta, stats, eps), None, None
    f = min(1.0, float(stats[2]) / warmup) if warmup > 0 else 1.0
    rmax_t, dmax_t = 1 + (rmax - 1) * f, dmax * f
    dims = reduce_dims(x)
    mu = x.mean(dims)
    var = ((x - per_channel(mu, x)) ** 2).mean(dims)
    sigma_b = torch.sqrt(var + eps)
    sigma = torch.sqrt(stats[1] + eps)
    r_raw, d_raw = (sigma_b / sigma).detach(), ((mu - stats[0]) / sigma).detach()
    r = torch.clamp(r_raw, 1 / rmax_t, rmax_t)
    d = torch.clamp(d_raw, -dmax_t, dmax_t)
    if clipped is not None:
        clipped.append([int((r != r_raw).sum()), int((d != d_raw).sum())])
    xhat = (x - per_channel(mu, x)) / per_channel(sigma_b, x) * per_channel(r, x) + per_channel(d, x)
    y = xhat * per_channel(gamma, x) + per_channel(beta, x) if gamma is not None else xhat
    n = x.numel() // x.shape[1]
    with torch.no_grad():
        update_running(stats, mu, var * n / (n - 1), momentum)
    return y, r, d


def layer_cases(fs):
    def case(name, spec, shape, layer, *, steps=3, train=True, affine=True, momentum=0.1, eps=1e-5, init_stats='random',
             extra=None):
        C = shape[1]
        xs = [randn(*shape, scale=1.5 + 0.5 * s, shift=0.4 * s - 0.2) for s in range(steps)]
        dys = [randn(*shape) for _ in range(steps)]
        gamma, beta = randn(C, scale=0.5, shift=1.0), randn(C, scale=0.5)
        rm = randn(C, scale=0.5) if init_stats == 'random' else torch.zeros(C)
        rv = (torch.rand(C) + 0.5).float() if init_stats == 'random' else torch.ones(C)
        inputs = {'running_mean.init': rm, 'running_var.init': rv}
        for s in range(steps):
            inputs[f'x.{s}'], inputs[f'dy.{s}'] = xs[s], dys[s]
        if affine:
            inputs['gamma'], inputs['beta'] = gamma, beta
        clipped = []

        def run(dt):
            g = leaf(gamma, dt) if affine else None
            b = leaf(beta, dt) if affine else None
            stats = [rm.to(dt).clone(), rv.to(dt).clone(), 0]
            out = {}
            clipped.clear()
            for s in range(steps):
                x = leaf(xs[s], dt)
                kw = {'clipped': clipped} if extra == ('r', 'd') else {}
                y, a1, a2 = layer(x, g, b, stats, momentum=momentum, eps=eps, training=train, **kw)
                (y * dys[s].to(dt)).sum().backward()
                out[f'y.{s}'], out[f'dx.{s}'] = y, x.grad
                if affine:
                    out[f'dgamma.{s}'], out[f'dbeta.{s}'] = g.grad.clone(), b.grad.clone()
                    g.grad = b.grad = None
                out[f'running_mean.{s}'], out[f'running_var.{s}'] = stats[0].clone(), stats[1].clone()
                if a1 is not None:
                    out[f'{extra[0]}.{s}'], out[f'{extra[1]}.{s}'] = a1, a2
            stats_nbt.append(int(stats[2]))
            return out

        stats_nbt = []
        fs.add(name, {'spec': spec, 'sample_shape': shape[1:], 'training': train, 'affine': affine, 'steps': steps}, inputs, run)
        a = fs.cases[name]['attrs']
        a['num_batches_tracked'] = stats_nbt[-1]
        if clipped:
            a['clipped'] = list(clipped)  # per step: channels whose r, whose d the clip changed (float32 run)

    def ghost(g):
        return lambda x, gamma, beta, stats, **kw: ghost_bn(x, gamma, beta, stats, g, **kw)

    def renorm(rmax, dmax, warmup):
        return lambda x, gamma, beta, stats, **kw: batch_renorm(x, gamma, beta, stats, rmax, dmax, warmup, **kw)

    gx = ('ghost_mean', 'ghost_var')
    case('ghost2d_train', 'bn(ghost=2)', [8, 3, 4, 4], ghost(2), extra=gx)
    case('ghost1d_train', 'bn(ghost=4)', [12, 5], ghost(4), extra=gx)
    case('ghost1d_length_train', 'bn(ghost=4)', [8, 3, 5], ghost(4), extra=gx)
    case('ghost2d_momentum_none', 'bn(ghost=3,momentum=none)', [9, 4, 3, 3], ghost(3), momentum=None, init_stats='default',
         extra=gx)
    case('ghost2d_affine_off', 'bn(ghost=2,affine=false)', [6, 3, 3, 3], ghost(2), affine=False, steps=2, extra=gx)
    case('ghost2d_batch_within_one', 'bn(ghost=16)', [5, 3, 2, 2], ghost(16), steps=2, extra=gx)
    case('ghost2d_eval', 'bn(ghost=2)', [6, 3, 3, 3], ghost(2), train=False, steps=1, extra=gx)
    rd = ('r', 'd')
    # warm-up over 3 steps: r = 1, d = 0 at step 0 (fully clipped), then the clip widens
    case('renorm2d_warmup', 'bn(renorm,rmax=3,dmax=5,warmup=3)', [6, 4, 3, 3], renorm(3, 5, 3), steps=6, extra=rd)
    # tight limits without warm-up: some channels clipped, others not
    case('renorm1d_clip', 'bn(renorm,rmax=1.5,dmax=0.5,warmup=0)', [10, 6], renorm(1.5, 0.5, 0), steps=4, extra=rd)
    case('renorm1d_length', 'bn(renorm,rmax=2,dmax=1,warmup=0)', [8, 3, 5], renorm(2, 1, 0), steps=2, extra=rd)
    case('renorm2d_momentum_none_affine_off', 'bn(renorm,momentum=none,affine=false,rmax=2,dmax=1,warmup=2)',
         [6, 3, 3, 3], renorm(2, 1, 2), steps=4, momentum=None, affine=False, init_stats='default', extra=rd)
    case('renorm2d_eval', 'bn(renorm)', [6, 3, 3, 3], renorm(3, 5, 5000), train=False, steps=1, extra=rd)


def recalibration_case(fs):
    """torch.optim.swa_utils.update_bn over 3 batches (the last one partial) of a net with two BN layers."""
    spec = 'conv(4,3,pad=1) bn relu flatten linear(6) bn(momentum=0.3) relu linear(3)'
    make = lambda: nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(4 * 5 * 5, 6), nn.BatchNorm1d(6, momentum=0.3), nn.ReLU(), nn.Linear(6, 3))
    init = make().state_dict()
    for k in ('1', '5'):
        C = init[k + '.running_mean'].numel()
        init[k + '.running_mean'].copy_(randn(C, scale=0.5))
        init[k + '.running_var'].copy_((torch.rand(C) + 0.5).float())
        init[k + '.num_batches_tracked'].fill_(7)
        init[k + '.weight'].copy_(randn(C, scale=0.5, shift=1.0))
        init[k + '.bias'].copy_(randn(C, scale=0.5))
    batches = [randn(6, 2, 5, 5, scale=2.0, shift=0.5), randn(6, 2, 5, 5), randn(4, 2, 5, 5, shift=-0.3)]

    def run(dt):
        net = make().to(dt)
        net.load_state_dict(init)
        update_bn([b.to(dt) for b in batches], net)
        assert net[5].momentum == 0.3 and net.training
        return {f'after.{k}': v.clone() for k, v in net.state_dict().items() if 'running' in k}

    inputs = {f'init.{k}': v for k, v in init.items() if 'num_batches' not in k}
    inputs.update({f'batch.{i}': b for i, b in enumerate(batches)})
    fs.add('update_bn_net', {'spec': spec, 'sample_shape': [2, 5, 5], 'batches': len(batches), 'bn_layers': [1, 5],
                             'momenta': [0.1, 0.3], 'init_num_batches_tracked': 7,
                             'num_batches_tracked': len(batches)}, inputs, run)


def main():
    torch.manual_seed(15)
    fs = FixtureSet('bn_variants')
    layer_cases(fs)
    recalibration_case(fs)
    fs.write()


if __name__ == '__main__':
    main()
