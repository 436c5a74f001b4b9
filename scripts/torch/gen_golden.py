#!/usr/bin/python3
"""Golden fixtures from PyTorch 1.13 for BN Lab's engine tests.

Run:  /usr/bin/python3 scripts/torch/gen_golden.py [OUT_DIR]   (default test/fixtures/golden)

Every fixture set is <name>.json (manifest) + <name>.bin (little-endian blob). Inputs and initial
weights are float32 (what the engine consumes); expected values are computed by PyTorch in float64
from those float32 inputs, then rounded to float32, so they are the exact answer up to one rounding.
Each case also records `torch_f32_err`: how far PyTorch's own float32 run is from that reference,
measured as max |a-b| / max(1,|b|) over all outputs (the metric the TS tests use).

Manifest tensor entry: {"dtype": "f32"|"i32", "shape": [...], "offset": bytes, "count": n,
"stride": k}. stride>1 means only flat elements 0, k, 2k, ... are stored (used for the seed net's
6272x128 weight after optimizer steps, to keep the fixtures small).
"""
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'golden')
BIG = 100_000  # tensors larger than this are subsampled after optimizer steps
SUB_STRIDE = 11


def err(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


class FixtureSet:
    def __init__(self, name):
        self.name = name
        self.blob = bytearray()
        self.cases = {}

    def tensor(self, t, stride=1):
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        shape = list(a.shape)
        if a.dtype.kind in 'iu':
            flat, dtype = a.astype('<i4').reshape(-1), 'i32'
        else:
            flat, dtype = a.astype('<f4').reshape(-1), 'f32'
        if stride > 1:
            flat = flat[::stride]
        entry = {'dtype': dtype, 'shape': shape, 'offset': len(self.blob), 'count': int(flat.size)}
        if stride > 1:
            entry['stride'] = stride
        self.blob += flat.tobytes()
        return entry

    def add(self, case, attrs, inputs, run):
        """inputs: name -> float32 tensor (stored as is). run(dtype) -> name -> output tensor."""
        assert case not in self.cases, case
        ref = run(torch.float64)
        f32 = run(torch.float32)
        tensors = {k: self.tensor(v) for k, v in inputs.items()}
        errs = {}
        for k, v in ref.items():
            stride = v[1] if isinstance(v, tuple) else 1
            v = v[0] if isinstance(v, tuple) else v
            assert k not in tensors, k
            tensors[k] = self.tensor(v, stride)
            w = f32[k][0] if isinstance(f32[k], tuple) else f32[k]
            errs[k] = float(f'{err(w.detach().double(), v.detach().double()):.3g}')
        worst = max(errs.values())
        self.cases[case] = {'attrs': attrs, 'tensors': tensors, 'torch_f32_err': worst, 'torch_f32_errs': errs}
        print(f'{self.name}/{case}: torch float32 vs float64 err {worst:.2e}')

    def write(self):
        os.makedirs(OUT, exist_ok=True)
        manifest = {
            'format': 'bnlab-golden-1',
            'generator': 'scripts/torch/gen_golden.py',
            'torch': torch.__version__,
            'reference': 'PyTorch in float64 from the stored float32 inputs, rounded to float32',
            'blob': self.name + '.bin',
            'blob_sha256': hashlib.sha256(bytes(self.blob)).hexdigest(),
            'cases': self.cases,
        }
        for path, data in ((self.name + '.bin', bytes(self.blob)),
                           (self.name + '.json', (json.dumps(manifest, indent=1) + '\n').encode())):
            tmp = os.path.join(OUT, path + '.tmp')
            with open(tmp, 'wb') as f:
                f.write(data)
            os.replace(tmp, os.path.join(OUT, path))
        print(f'wrote {self.name}: {len(self.blob)} bytes')


def randn(*shape, scale=1.0, shift=0.0):
    return (torch.randn(*shape) * scale + shift).float()


def leaf(t, dtype):
    return t.to(dtype).clone().requires_grad_(True)


# ---------------------------------------------------------------- batch norm

def bn_cases(fs):
    def case(name, shape, *, train=True, affine=True, track=True, momentum=0.1, eps=1e-5, steps=1,
             const_channel=False, init_stats='random'):
        C = shape[1]
        xs, dys = [], []
        for s in range(steps):
            x = randn(*shape, scale=1.5 + s, shift=0.3 * s - 0.2)
            if const_channel:
                x[:, 0] = 0.5  # constant channel: variance 0, normalized by sqrt(eps) only
            xs.append(x)
            dys.append(randn(*shape))
        gamma, beta = randn(C, scale=0.5, shift=1.0), randn(C, scale=0.5)
        rm = randn(C, scale=0.5) if init_stats == 'random' else torch.zeros(C)
        rv = (torch.rand(C) + 0.5).float() if init_stats == 'random' else torch.ones(C)
        inputs = {}
        for s in range(steps):
            inputs[f'x.{s}'], inputs[f'dy.{s}'] = xs[s], dys[s]
        if affine:
            inputs['gamma'], inputs['beta'] = gamma, beta
        if track:
            inputs['running_mean.init'], inputs['running_var.init'] = rm, rv
        nbt = []

        def run(dt):
            cls = nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d
            bn = cls(C, eps=eps, momentum=momentum, affine=affine, track_running_stats=track).to(dt)
            with torch.no_grad():
                if affine:
                    bn.weight.copy_(gamma)
                    bn.bias.copy_(beta)
                if track:
                    bn.running_mean.copy_(rm)
                    bn.running_var.copy_(rv)
            bn.train(train)
            out = {}
            nbt.clear()
            for s in range(steps):
                x = leaf(xs[s], dt)
                y = bn(x)
                (y * dys[s].to(dt)).sum().backward()
                out[f'y.{s}'] = y
                out[f'dx.{s}'] = x.grad
                if affine:
                    out[f'dgamma.{s}'] = bn.weight.grad.clone()
                    out[f'dbeta.{s}'] = bn.bias.grad.clone()
                    bn.weight.grad = None
                    bn.bias.grad = None
                if track:
                    out[f'running_mean.{s}'] = bn.running_mean.clone()
                    out[f'running_var.{s}'] = bn.running_var.clone()
                    nbt.append(int(bn.num_batches_tracked))
            return out

        attrs = {'dim': len(shape) - 2 if len(shape) == 4 else 1, 'num_features': C, 'eps': eps,
                 'momentum': momentum, 'affine': affine, 'track_running_stats': track,
                 'training': train, 'steps': steps}
        fs.add(name, attrs, inputs, run)
        if track:
            fs.cases[name]['attrs']['num_batches_tracked'] = list(nbt)  # from the last (f32) run: same ints

    case('bn2d_train', [4, 3, 5, 5], const_channel=True)
    case('bn2d_eval', [4, 3, 5, 5], train=False)
    case('bn1d_train', [8, 6])
    case('bn1d_eval', [8, 6], train=False)
    case('bn2d_train_n1', [1, 3, 2, 2])  # one sample is fine when H*W > 1
    case('bn2d_running_5steps', [6, 4, 3, 3], steps=5, init_stats='default')
    case('bn1d_running_5steps', [10, 5], steps=5, init_stats='default')
    case('bn2d_momentum_none_5steps', [6, 4, 3, 3], steps=5, momentum=None)
    case('bn1d_momentum_none_5steps', [10, 5], steps=5, momentum=None)
    case('bn2d_affine_off_train', [4, 3, 4, 4], affine=False, steps=2)
    case('bn2d_affine_off_eval', [4, 3, 4, 4], affine=False, train=False)
    case('bn1d_affine_off_train', [8, 6], affine=False)
    case('bn2d_no_running_stats_train', [4, 3, 4, 4], track=False, steps=2)
    case('bn2d_no_running_stats_eval', [4, 3, 4, 4], track=False, train=False)  # batch stats, train backward
    case('bn1d_no_running_stats_eval', [8, 6], track=False, train=False)
    case('bn2d_keras_mapped', [4, 3, 4, 4], momentum=0.01, eps=1e-3, steps=3)  # Keras momentum 0.99, eps 1e-3
    case('bn1d_eps_1e-3_eval', [8, 6], eps=1e-3, train=False)
    try:
        nn.BatchNorm1d(3).train()(torch.randn(1, 3))
    except ValueError as e:
        fs.cases['bn2d_train']['attrs']['one_value_error'] = str(e)


# ---------------------------------------------------------------- conv, linear, pooling, activations

def conv_cases(fs):
    def case(name, xshape, out_ch, k, *, stride=1, padding=0, dilation=1, groups=1, bias=True):
        kh, kw = (k, k) if isinstance(k, int) else k
        pair = lambda v: [v, v] if isinstance(v, int) else list(v)
        cin = xshape[1]
        x = randn(*xshape)
        w = randn(out_ch, cin // groups, kh, kw, scale=0.3)
        b = randn(out_ch, scale=0.3) if bias else None
        y0 = F.conv2d(x, w, b, stride, padding, dilation, groups)
        dy = randn(*y0.shape)
        inputs = {'x': x, 'w': w, 'dy': dy}
        if bias:
            inputs['b'] = b

        def run(dt):
            xx, ww = leaf(x, dt), leaf(w, dt)
            bb = leaf(b, dt) if bias else None
            y = F.conv2d(xx, ww, bb, stride, padding, dilation, groups)
            (y * dy.to(dt)).sum().backward()
            out = {'y': y, 'dx': xx.grad, 'dw': ww.grad}
            if bias:
                out['db'] = bb.grad
            return out

        fs.add(name, {'stride': pair(stride), 'padding': pair(padding), 'dilation': pair(dilation),
                      'groups': groups, 'bias': bias}, inputs, run)

    case('conv_basic', [2, 3, 7, 7], 4, 3)
    case('conv_stride2_pad1', [2, 3, 8, 8], 5, 3, stride=2, padding=1)
    case('conv_dilation2', [2, 2, 9, 9], 3, 3, dilation=2, padding=2)
    case('conv_grouped', [2, 4, 6, 6], 6, 3, groups=2, padding=1)
    case('conv_depthwise', [2, 4, 6, 6], 4, 3, groups=4, padding=1)
    case('conv_depthwise_mult2', [2, 3, 7, 5], 6, 3, groups=3, stride=2)
    case('conv_no_bias', [2, 3, 6, 6], 4, 3, bias=False, padding=1)
    case('conv_asymmetric', [2, 2, 9, 7], 3, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    case('conv_seed_5x5_pad2', [2, 1, 28, 28], 8, 5, padding=2)


def misc_cases(fs):
    # linear
    for name, bias in (('linear', True), ('linear_no_bias', False)):
        x, w = randn(5, 7), randn(3, 7, scale=0.4)
        b = randn(3) if bias else None
        dy = randn(5, 3)
        inputs = {'x': x, 'w': w, 'dy': dy}
        if bias:
            inputs['b'] = b

        def run(dt, x=x, w=w, b=b, dy=dy, bias=bias):
            xx, ww = leaf(x, dt), leaf(w, dt)
            bb = leaf(b, dt) if bias else None
            y = F.linear(xx, ww, bb)
            (y * dy.to(dt)).sum().backward()
            out = {'y': y, 'dx': xx.grad, 'dw': ww.grad}
            if bias:
                out['db'] = bb.grad
            return out
        fs.add(name, {'bias': bias}, inputs, run)

    # pooling
    def pool(name, fn, x, k, s, p):
        y0 = fn(x, k, s, p)
        dy = randn(*y0.shape)

        def run(dt):
            xx = leaf(x, dt)
            y = fn(xx, k, s, p)
            (y * dy.to(dt)).sum().backward()
            return {'y': y, 'dx': xx.grad}
        fs.add(name, {'kernel': [k, k], 'stride': [s, s], 'padding': [p, p]}, {'x': x, 'dy': dy}, run)

    pool('maxpool_2', F.max_pool2d, randn(2, 3, 6, 6), 2, 2, 0)
    pool('maxpool_3s2p1', F.max_pool2d, randn(2, 3, 7, 7), 3, 2, 1)
    pool('maxpool_2_odd', F.max_pool2d, randn(2, 2, 7, 5), 2, 2, 0)  # floor mode drops the last row/col
    ties = torch.tensor([[1., 1., 0., 0.], [1., 0., 0., 0.], [2., 3., 5., 5.], [3., 2., 5., 5.]]).reshape(1, 1, 4, 4)
    pool('maxpool_ties', F.max_pool2d, ties, 2, 2, 0)  # PyTorch routes the gradient to the first max
    pool('avgpool_2', F.avg_pool2d, randn(2, 3, 6, 6), 2, 2, 0)
    pool('avgpool_3s2p1', F.avg_pool2d, randn(2, 3, 7, 7), 3, 2, 1)  # count_include_pad=True

    # activations (with exact zeros: relu' (0) = 0, leaky_relu'(0) = slope)
    x = randn(3, 4, 5)
    x.view(-1)[::7] = 0.0
    dy = randn(3, 4, 5)

    def act(name, fn, attrs):
        def run(dt):
            xx = leaf(x, dt)
            y = fn(xx)
            (y * dy.to(dt)).sum().backward()
            return {'y': y, 'dx': xx.grad}
        fs.add(name, attrs, {'x': x, 'dy': dy}, run)
    act('relu', F.relu, {})
    act('leaky_relu_0.01', lambda t: F.leaky_relu(t, 0.01), {'slope': 0.01})
    act('leaky_relu_0.2', lambda t: F.leaky_relu(t, 0.2), {'slope': 0.2})

    # normalization alternatives
    def norm(name, x, attrs, fn, gshape):
        gamma = randn(*gshape, scale=0.5, shift=1.0) if gshape else None
        beta = randn(*gshape, scale=0.5) if gshape else None
        dy = randn(*x.shape)
        inputs = {'x': x, 'dy': dy}
        if gshape:
            inputs['gamma'], inputs['beta'] = gamma, beta

        def run(dt):
            xx = leaf(x, dt)
            g = leaf(gamma, dt) if gshape else None
            b = leaf(beta, dt) if gshape else None
            y = fn(xx, g, b)
            (y * dy.to(dt)).sum().backward()
            out = {'y': y, 'dx': xx.grad}
            if gshape:
                out['dgamma'], out['dbeta'] = g.grad, b.grad
            return out
        fs.add(name, dict(attrs, affine=bool(gshape)), inputs, run)

    x4 = randn(4, 6, 5, 5, scale=2.0, shift=0.5)
    norm('layer_norm_chw', x4, {'normalized_shape': [6, 5, 5], 'eps': 1e-5},
         lambda t, g, b: F.layer_norm(t, [6, 5, 5], g, b, 1e-5), [6, 5, 5])
    norm('layer_norm_features', randn(5, 12, scale=2.0), {'normalized_shape': [12], 'eps': 1e-5},
         lambda t, g, b: F.layer_norm(t, [12], g, b, 1e-5), [12])
    norm('layer_norm_no_affine', x4, {'normalized_shape': [6, 5, 5], 'eps': 1e-5},
         lambda t, g, b: F.layer_norm(t, [6, 5, 5], None, None, 1e-5), None)
    norm('group_norm_3', x4, {'groups': 3, 'eps': 1e-5}, lambda t, g, b: F.group_norm(t, 3, g, b, 1e-5), [6])
    norm('group_norm_1', x4, {'groups': 1, 'eps': 1e-5}, lambda t, g, b: F.group_norm(t, 1, g, b, 1e-5), [6])
    norm('group_norm_no_affine', x4, {'groups': 2, 'eps': 1e-5},
         lambda t, g, b: F.group_norm(t, 2, None, None, 1e-5), None)
    norm('instance_norm_affine', x4, {'eps': 1e-5},
         lambda t, g, b: F.instance_norm(t, weight=g, bias=b, eps=1e-5), [6])
    norm('instance_norm', x4, {'eps': 1e-5}, lambda t, g, b: F.instance_norm(t, eps=1e-5), None)

    # softmax cross-entropy (mean over the batch), incl. large logits
    for name, scale in (('cross_entropy', 2.0), ('cross_entropy_large_logits', 40.0)):
        logits = randn(6, 10, scale=scale)
        labels = torch.randint(0, 10, (6,))

        def run(dt, logits=logits, labels=labels):
            z = leaf(logits, dt)
            loss = F.cross_entropy(z, labels)
            loss.backward()
            return {'loss': loss.reshape(1), 'probs': torch.softmax(z, 1), 'dlogits': z.grad}
        fs.add(name, {'correct': int((logits.argmax(1) == labels).sum())},
               {'logits': logits, 'labels': labels.int()}, run)


# ---------------------------------------------------------------- whole networks

SEED_SPEC = 'conv(32,5,pad=2) bn relu maxpool(2) flatten linear(128) bn relu linear(10)'


def seed_net():
    return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(6272, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))


def conditioning(net, x):
    """Smallest |pre-ReLU| and smallest top-1/top-2 gap in a max-pool window (float64 forward):
    fixtures where float32 rounding could flip a ReLU mask or a max-pool argmax are rejected."""
    with torch.no_grad():
        h = net[1](net[0](x))
        relu_margin = float(h.abs().min())
        r = torch.relu(h)
        win = r.unfold(2, 2, 2).unfold(3, 2, 2).reshape(*r.shape[:2], r.shape[2] // 2, r.shape[3] // 2, 4)
        top2 = win.topk(2, dim=-1).values
        gaps = (top2[..., 0] - top2[..., 1])[top2[..., 0] > 0]
        pool_margin = float(gaps.min())
        h2 = net[6](net[5](net[4](net[3](r))))
        relu_margin = min(relu_margin, float(h2.abs().min()))
    return relu_margin, pool_margin


ZERO_GRAD_PARAMS = ['0.bias', '5.bias']  # biases right before BN: their exact grad is 0
ADAM_TINY_GRAD = 1e-6
MARGIN = 5e-6  # PyTorch's own float32 forward deviates ~1.7e-6 from float64 before the first ReLU
SEED_OPTIMIZERS = {
    'sgd': {'type': 'sgd', 'lr': 0.05, 'momentum': 0.9, 'weight_decay': 5e-4, 'nesterov': False},
    'sgd_nesterov': {'type': 'sgd', 'lr': 0.05, 'momentum': 0.9, 'weight_decay': 5e-4, 'nesterov': True},
    'adam': {'type': 'adam', 'lr': 1e-3, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weight_decay': 0},
    'adamw': {'type': 'adamw', 'lr': 1e-3, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weight_decay': 1e-2},
}


def make_optimizer(params, cfg):
    if cfg['type'] == 'sgd':
        return torch.optim.SGD(params, lr=cfg['lr'], momentum=cfg['momentum'], weight_decay=cfg['weight_decay'],
                               nesterov=cfg['nesterov'])
    cls = torch.optim.Adam if cfg['type'] == 'adam' else torch.optim.AdamW
    return cls(params, lr=cfg['lr'], betas=tuple(cfg['betas']), eps=cfg['eps'], weight_decay=cfg['weight_decay'])


def seed_net_cases(fs):
    """The whole seed net: training-mode forward, loss, every grad, then one step of each optimizer
    from the same initial weights, BN running stats after the step, and eval-mode logits after it."""
    torch.manual_seed(1234)
    init = seed_net().state_dict()  # PyTorch's default init, float32
    params = [k for k, _ in seed_net().named_parameters()]
    N = 16
    net64 = seed_net().double()
    net64.load_state_dict(init)
    for attempt in range(100):  # deterministic search for a well-conditioned batch
        g = torch.Generator().manual_seed(100 + attempt)
        x = torch.randint(0, 256, (N, 1, 28, 28), generator=g).float() / 255
        labels = torch.randint(0, 10, (N,), generator=g)
        margins = conditioning(net64, x.double())
        if min(margins) > MARGIN:
            break
    else:
        raise SystemExit('no well-conditioned batch found')
    print(f'seed net: batch from attempt {attempt}, ReLU / max-pool margins {margins[0]:.2e} / {margins[1]:.2e}')

    # Where one Adam step is ill-conditioned (it is ~ lr*g/(|g|+eps)): the biases right before BN, whose
    # exact grad is 0 (float32 noise there becomes a step of up to +-lr, in PyTorch too), and elements
    # with 0 < |g| < ADAM_TINY_GRAD. Tests check those only as |step| <= lr, then set them to these
    # reference values before comparing the eval logits.
    net = seed_net().double()
    net.load_state_dict(init)
    F.cross_entropy(net(x.double()), labels).backward()
    ill = {}
    for k, p in net.named_parameters():
        g = p.grad.float().reshape(-1)
        mask = torch.ones_like(g, dtype=torch.bool) if k in ZERO_GRAD_PARAMS else (g != 0) & (g.abs() < ADAM_TINY_GRAD)
        if mask.any():
            ill[k] = mask.nonzero().reshape(-1)

    def run(dt):
        out = {}
        for name, cfg in SEED_OPTIMIZERS.items():
            net = seed_net().to(dt)
            net.load_state_dict(init)
            net.train()
            opt = make_optimizer(net.parameters(), cfg)
            logits = net(x.to(dt))
            loss = F.cross_entropy(logits, labels)
            loss.backward()
            if name == 'sgd':  # forward and grads are the same for every optimizer
                out['logits'], out['loss'] = logits, loss.reshape(1)
                out.update({'grad.' + k: p.grad.clone() for k, p in net.named_parameters()})
            opt.step()
            for k, v in net.state_dict().items():
                if k in params:
                    out[f'{name}.after.{k}'] = (v.clone(), SUB_STRIDE) if v.numel() > BIG else v.clone()
                elif 'running' in k and name == 'sgd':
                    out['after.' + k] = v.clone()
                if k in ill and cfg['type'] != 'sgd':
                    out[f'{name}.ill.{k}'] = v.reshape(-1)[ill[k]].clone()
            net.eval()
            with torch.no_grad():
                out[f'{name}.eval_logits'] = net(x.to(dt))
        return out

    inputs = {'x': x, 'labels': labels.int()}
    inputs.update({'ill_index.' + k: v.int() for k, v in ill.items()})
    inputs.update({'init.' + k: v for k, v in init.items() if k in params or 'running' in k})
    fs.add('seed_net', {'spec': SEED_SPEC, 'batch': N, 'params': params, 'optimizers': SEED_OPTIMIZERS,
                        'num_batches_tracked_after': 1, 'loss': 'cross_entropy (mean)',
                        'zero_grad_params': ZERO_GRAD_PARAMS, 'adam_tiny_grad': ADAM_TINY_GRAD,
                        'conditioning': {'min_abs_pre_relu': margins[0], 'min_maxpool_gap': margins[1]}},
           inputs, run)


def optimizer_cases(fs):
    """Several optimizer steps on one parameter tensor with given gradients (no network)."""
    configs = {
        'sgd_plain': {'type': 'sgd', 'lr': 0.1, 'momentum': 0, 'weight_decay': 0, 'nesterov': False},
        'sgd_momentum': {'type': 'sgd', 'lr': 0.1, 'momentum': 0.9, 'weight_decay': 0, 'nesterov': False},
        'sgd_momentum_wd': {'type': 'sgd', 'lr': 0.1, 'momentum': 0.9, 'weight_decay': 1e-2, 'nesterov': False},
        'sgd_nesterov_wd': {'type': 'sgd', 'lr': 0.1, 'momentum': 0.9, 'weight_decay': 1e-2, 'nesterov': True},
        'adam': {'type': 'adam', 'lr': 1e-2, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weight_decay': 0},
        'adam_l2': {'type': 'adam', 'lr': 1e-2, 'betas': [0.8, 0.99], 'eps': 1e-6, 'weight_decay': 1e-2},
        'adamw': {'type': 'adamw', 'lr': 1e-2, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weight_decay': 1e-2},
    }
    steps = 4
    p0 = randn(40)
    grads = [randn(40, scale=0.1) for _ in range(steps)]
    for g in grads:
        g[:3] = torch.tensor([0.0, 1e-9, -3e-8])  # zero and tiny grads: where Adam's eps sits matters
    inputs = {'param': p0}
    inputs.update({f'grad.{s}': g for s, g in enumerate(grads)})
    for name, cfg in configs.items():
        def run(dt, cfg=cfg):
            p = nn.Parameter(p0.to(dt).clone())
            opt = make_optimizer([p], cfg)
            out = {}
            for s in range(steps):
                p.grad = grads[s].to(dt).clone()
                opt.step()
                out[f'param.{s}'] = p.detach().clone()
            return out
        fs.add('optim_' + name, dict(cfg, steps=steps, inputs_from='optim_sgd_plain'),
               inputs if name == 'sgd_plain' else {}, run)


def frozen_bn_case(fs):
    """conv -> BN frozen in eval mode inside a training model -> relu -> flatten -> linear; one SGD step."""
    torch.manual_seed(7)
    make = lambda: nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(4 * 6 * 6, 3))
    init = make().state_dict()
    init['1.weight'].copy_(randn(4, scale=0.5, shift=1.0))
    init['1.bias'].copy_(randn(4, scale=0.5))
    init['1.running_mean'].copy_(randn(4, scale=0.3))
    init['1.running_var'].copy_((torch.rand(4) + 0.5).float())
    init['1.num_batches_tracked'].fill_(10)
    x = randn(5, 2, 6, 6)
    labels = torch.randint(0, 3, (5,))
    params = [k for k, _ in make().named_parameters()]

    def run(dt):
        net = make().to(dt)
        net.load_state_dict(init)
        net.train()
        net[1].eval()  # frozen BN
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        logits = net(x.to(dt))
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        out = {'logits': logits, 'loss': loss.reshape(1)}
        out.update({'grad.' + k: p.grad.clone() for k, p in net.named_parameters()})
        opt.step()
        out.update({'after.' + k: v.clone() for k, v in net.state_dict().items() if k != '1.num_batches_tracked'})
        assert int(net[1].num_batches_tracked) == 10
        return out
    inputs = {'x': x, 'labels': labels.int()}
    inputs.update({'init.' + k: v for k, v in init.items() if k != '1.num_batches_tracked'})
    fs.add('frozen_bn_net', {'spec': 'conv(4,3,pad=1) bn relu flatten linear(3)', 'frozen_bn_index': 1,
                             'params': params, 'num_batches_tracked': 10,
                             'optimizer': {'type': 'sgd', 'lr': 0.1, 'momentum': 0.9, 'weight_decay': 0,
                                           'nesterov': False}}, inputs, run)


def init_cases():
    """PyTorch's default init per parameter of the seed net: the uniform bound torch uses and the
    spread of one draw (kaiming_uniform(a=sqrt 5) for weights, U(+-1/sqrt(fan_in)) for biases, BN 1/0)."""
    torch.manual_seed(3)
    out = {}
    for k, v in seed_net().state_dict().items():
        if v.dtype != torch.float32:
            out[k] = {'values': [int(v)]}
            continue
        entry = {'shape': list(v.shape), 'min': float(v.min()), 'max': float(v.max()), 'std': float(v.double().std())}
        if k.endswith('weight') and v.dim() > 1 or k.endswith('bias') and k.split('.')[0] in ('0', '5', '8'):
            fan_in = nn.init._calculate_fan_in_and_fan_out(seed_net()[int(k.split('.')[0])].weight)[0]
            gain = nn.init.calculate_gain('leaky_relu', math.sqrt(5))
            entry['bound'] = gain * math.sqrt(3.0 / fan_in) if k.endswith('weight') else 1 / math.sqrt(fan_in)
        out[k] = entry
    return out


def lr_schedule_cases():
    """LR after 0..n scheduler steps (index 0 = before any step)."""
    out = {}

    def record(name, attrs, make, n):
        p = nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=attrs['base_lr'])
        sched = make(opt)
        lrs = [opt.param_groups[0]['lr']]
        for _ in range(n):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]['lr'])
        out[name] = dict(attrs, lrs=lrs)
    record('step', {'type': 'step', 'base_lr': 0.1, 'step_size': 3, 'gamma': 0.5},
           lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5), 10)
    record('cosine', {'type': 'cosine', 'base_lr': 0.1, 't_max': 8, 'eta_min': 0.001},
           lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 8, 0.001), 8)
    record('cosine_past_t_max', {'type': 'cosine', 'base_lr': 0.1, 't_max': 4, 'eta_min': 0.0},
           lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 4, 0.0), 10)
    return out


def main():
    torch.manual_seed(0)
    bn = FixtureSet('bn')
    bn_cases(bn)
    bn.write()
    torch.manual_seed(1)
    ops = FixtureSet('ops')
    conv_cases(ops)
    misc_cases(ops)
    ops.write()
    nets = FixtureSet('nets')
    seed_net_cases(nets)
    frozen_bn_case(nets)
    nets.write()
    torch.manual_seed(2)
    optim = FixtureSet('optim')
    optimizer_cases(optim)
    optim.write()
    tmp = os.path.join(OUT, 'lr_schedules.json.tmp')
    with open(tmp, 'w') as f:
        json.dump({'format': 'bnlab-golden-1', 'generator': 'scripts/torch/gen_golden.py', 'torch': torch.__version__,
                   'schedules': lr_schedule_cases()}, f, indent=1)
        f.write('\n')
    os.replace(tmp, os.path.join(OUT, 'lr_schedules.json'))
    tmp = os.path.join(OUT, 'init.json.tmp')
    with open(tmp, 'w') as f:
        json.dump({'format': 'bnlab-golden-1', 'generator': 'scripts/torch/gen_golden.py', 'torch': torch.__version__,
                   'spec': SEED_SPEC, 'sample_shape': [1, 28, 28], 'params': init_cases()}, f, indent=1)
        f.write('\n')
    os.replace(tmp, os.path.join(OUT, 'init.json'))


if __name__ == '__main__':
    main()
