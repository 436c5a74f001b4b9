#!/usr/bin/python3
"""Reference for src/engine/landscape.ts, from the definitions of Santurkar et al. (2018, Sec. 3.1):
at weights w on one batch, in train mode, g = grad L(w); for each step size eta, the loss L(w - eta*g)
and the gradient change ||grad L(w - eta*g) - grad L(w)||_2 over all parameters.

  /usr/bin/python3 scripts/torch/landscape.py < case.json > result.json

case.json: {"bn": bool, "state": {key: [values, flat]}, "x": [[...]], "labels": [...], "etas": [...]} for the model
linear(H) [bn] relu linear(C), keys as in nn.Sequential's state_dict; computed in float64 from the given values.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

case = json.load(sys.stdin)
st = case['state']
hidden, classes = len(st['0.bias']), len(st[f"{3 if case['bn'] else 2}.bias"])
inputs = len(st['0.weight']) // hidden
layers = [nn.Linear(inputs, hidden), *([nn.BatchNorm1d(hidden)] if case['bn'] else []), nn.ReLU(), nn.Linear(hidden, classes)]
model = nn.Sequential(*layers).double().train()
shapes = {k: v.shape for k, v in model.state_dict().items()}
model.load_state_dict({k: torch.tensor(v, dtype=torch.float64 if k in shapes and 'num_batches' not in k else torch.int64).reshape(shapes[k]) for k, v in st.items()})
x = torch.tensor(case['x'], dtype=torch.float64)
y = torch.tensor(case['labels'], dtype=torch.int64)
params = list(model.parameters())


def loss_and_grad(ws):
    with torch.no_grad():
        for p, w in zip(params, ws):
            p.copy_(w)
    model.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    return loss.item(), [p.grad.detach().clone() for p in params]


w = [p.detach().clone() for p in params]
loss, g = loss_and_grad(w)
points = []
for eta in case['etas']:
    l, g2 = loss_and_grad([wi - eta * gi for wi, gi in zip(w, g)])
    points.append({'eta': eta, 'loss': l, 'gradChange': torch.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(g2, g))).item()})
json.dump({'loss': loss, 'gradNorm': torch.sqrt(sum((gi ** 2).sum() for gi in g)).item(), 'points': points}, sys.stdout)
