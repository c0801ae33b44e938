"""PyTorch side of bench/parity/grad-check.ts: same weights and batch, compare gradients per parameter."""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

d = json.load(open(sys.argv[1]))
P, n = d['params'], d['n']
x = torch.tensor(np.array(d['x'], dtype=np.float32).reshape(n, 32, 32, 3).transpose(0, 3, 1, 2).copy())
y = torch.tensor(d['y'], dtype=torch.int64)
arr = lambda k, f: np.array(P[k][f], dtype=np.float32).reshape(P[k]['shape'])
convs = [k.split('/')[0] for k in P if k.endswith('/kernel') and len(P[k]['shape']) == 4]
dense = [k.split('/')[0] for k in P if k.endswith('/kernel') and len(P[k]['shape']) == 2][0]
ws = [(torch.tensor(arr(c + '/kernel', 'w').transpose(3, 2, 0, 1).copy(), requires_grad=True),
       torch.tensor(arr(c + '/bias', 'w'), requires_grad=True)) for c in convs]
hw = int(round((P[dense + '/kernel']['shape'][0] // 32) ** 0.5))
to_torch_dense = lambda a: a.reshape(hw, hw, 32, -1).transpose(3, 2, 0, 1).reshape(a.shape[-1], -1)  # tfjs flattens HWC, torch CHW
Wd = torch.tensor(to_torch_dense(arr(dense + '/kernel', 'w')).copy(), requires_grad=True)
bd = torch.tensor(arr(dense + '/bias', 'w'), requires_grad=True)
h = x
for W, b in ws:
    h = F.relu(F.conv2d(h, W, b, padding=1))
loss = F.cross_entropy(F.linear(h.flatten(1), Wd, bd), y)
loss.backward()
rel = lambda a, b: float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))
print(f"backend {d['backend']}: loss whittle {d['loss']:.7f} pytorch {loss.item():.7f}")
worst = 0.0
for c, (W, b) in zip(convs, ws):
    for name, mine, ref in [(c + '/kernel', arr(c + '/kernel', 'g').transpose(3, 2, 0, 1), W.grad.numpy()), (c + '/bias', arr(c + '/bias', 'g'), b.grad.numpy())]:
        e = rel(mine, ref); worst = max(worst, e); print(f'{name:14s} max rel grad error {e:.2e}')
for name, mine, ref in [(dense + '/kernel', to_torch_dense(arr(dense + '/kernel', 'g')), Wd.grad.numpy()), (dense + '/bias', arr(dense + '/bias', 'g'), bd.grad.numpy())]:
    e = rel(mine, ref); worst = max(worst, e); print(f'{name:14s} max rel grad error {e:.2e}')
print('gradients agree' if worst < 1e-4 else 'GRADIENTS DIFFER')
sys.exit(0 if worst < 1e-4 else 1)
