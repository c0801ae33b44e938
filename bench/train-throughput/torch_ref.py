"""PyTorch reference for bench/train-throughput: the same nets, batches and SGD step as run.ts.

python3 torch_ref.py --model vanilla|resnet56 --batch 64 --data FILE --threads 2 --steps 10 --reps 3
Prints one line: RESULT {json}. Batches: NB x [B,32,32,3] float32 (NHWC) then NB x [B] int32.
"""
import argparse, json, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NB = 4


def vanilla():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 32 * 32, 10))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)
        self.pad = cout // 4 if (stride != 1 or cin != cout) else 0

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        sc = x if self.pad == 0 else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(y + sc)


class ResNet56(nn.Module):
    """CIFAR ResNet-56 with option-A shortcuts (as the Whittle zoo)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, c = [], 16
        for s in range(3):
            f = 16 * 2 ** s
            for b in range(9):
                layers.append(Block(c, f, 2 if s > 0 and b == 0 else 1))
                c = f
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layers(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--model', default='vanilla')
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--data', required=True)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--reps', type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    raw = np.fromfile(a.data, dtype=np.uint8)
    nx = NB * a.batch * 32 * 32 * 3
    xs = np.frombuffer(raw[: nx * 4].tobytes(), dtype=np.float32).reshape(NB, a.batch, 32, 32, 3)
    ys = np.frombuffer(raw[nx * 4:].tobytes(), dtype=np.int32).reshape(NB, a.batch)
    xs = [torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))) for x in xs]
    ys = [torch.from_numpy(y.astype(np.int64)) for y in ys]
    model = vanilla() if a.model == 'vanilla' else ResNet56()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    it = [0]

    def step():
        b = it[0] % NB
        it[0] += 1
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[b]), ys[b])
        loss.backward()
        opt.step()
        return loss

    for _ in range(3):
        step()
    rates = []
    loss = None
    for _ in range(a.reps):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            loss = step()
        rates.append(a.steps * a.batch / (time.perf_counter() - t0))
    srt = sorted(rates)
    print('RESULT ' + json.dumps({'engine': f'pytorch-{torch.__version__}', 'model': a.model, 'batch': a.batch,
                                  'ips': srt[len(srt) // 2], 'reps': [round(r) for r in rates],
                                  'loss': float(loss.item())}))


if __name__ == '__main__':
    main()
