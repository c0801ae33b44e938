"""PyTorch side of bench/parity: the recipe of bench/parity/run.ts, written the way a PyTorch user would.

vanilla (RePr paper net: 3x conv3x3(32, same) + ReLU, flatten, linear 10; PyTorch default init), CIFAR-10
binary batches 1-4 for training and data_batch_5 for validation, SGD lr 0.01 (no momentum, no weight
decay), batch 128, shuffled every epoch, last partial batch kept, random crop 32 with zero padding 4 +
horizontal flip (torchvision's RandomCrop/RandomHorizontalFlip semantics, done in numpy because the
Debian torch has no torchvision), normalisation mean (0.4914, 0.4822, 0.4465) std (0.2023, 0.1994, 0.2010).

Usage: /usr/bin/python3 torch_parity.py --data-dir DIR [--epochs 2] [--train-subset N] [--val-subset N]
       [--seed 0] [--threads 2]
Prints progress on stderr and one line `RESULT {json}` on stdout.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2023, 0.1994, 0.2010], dtype=np.float32)
RECORD = 1 + 32 * 32 * 3


def read_batches(data_dir, names):
    xs, ys = [], []
    for n in names:
        raw = np.fromfile(os.path.join(data_dir, n), dtype=np.uint8)
        if raw.size % RECORD:
            sys.exit(f'{n}: {raw.size} bytes is not a whole number of {RECORD}-byte records')
        raw = raw.reshape(-1, RECORD)
        ys.append(raw[:, 0].astype(np.int64))
        # CHW planes per record → NHWC uint8 (like Whittle's reader)
        xs.append(raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return np.concatenate(xs), np.concatenate(ys)


def vanilla():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(32 * 32 * 32, 10))


def normalise(x_uint8_nhwc):
    x = x_uint8_nhwc.astype(np.float32) / 255.0
    x = (x - MEAN) / STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def augment(x, rng):
    """RandomCrop(32, padding=4) then RandomHorizontalFlip(), per image; padding is black before Normalize."""
    n = x.shape[0]
    padded = np.zeros((n, 40, 40, 3), dtype=np.uint8)
    padded[:, 4:36, 4:36] = x
    out = np.empty_like(x)
    tops = rng.integers(0, 9, n)
    lefts = rng.integers(0, 9, n)
    flips = rng.random(n) < 0.5
    for i in range(n):
        img = padded[i, tops[i]:tops[i] + 32, lefts[i]:lefts[i] + 32]
        out[i] = img[:, ::-1] if flips[i] else img
    return out


def evaluate(model, x, y, batch):
    model.eval()
    correct, loss_sum = 0, 0.0
    with torch.no_grad():
        for s in range(0, len(y), batch):
            logits = model(normalise(x[s:s + batch]))
            t = torch.from_numpy(y[s:s + batch])
            loss_sum += F.cross_entropy(logits, t, reduction='sum').item()
            correct += (logits.argmax(1) == t).sum().item()
    model.train()
    return correct / len(y), loss_sum / len(y)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--data-dir', required=True)
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--lr', type=float, default=0.01)
    p.add_argument('--train-subset', type=int, default=0)
    p.add_argument('--val-subset', type=int, default=0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    xtr, ytr = read_batches(a.data_dir, [f'data_batch_{i}.bin' for i in range(1, 5)])
    xva, yva = read_batches(a.data_dir, ['data_batch_5.bin'])
    if a.train_subset:
        xtr, ytr = xtr[:a.train_subset], ytr[:a.train_subset]
    if a.val_subset:
        xva, yva = xva[:a.val_subset], yva[:a.val_subset]
    model = vanilla()
    opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    t0 = time.time()
    history = []
    for epoch in range(a.epochs):
        order = rng.permutation(len(ytr))
        loss_sum, correct = 0.0, 0
        for s in range(0, len(order), a.batch_size):
            idx = order[s:s + a.batch_size]
            xb = normalise(augment(xtr[idx], rng))
            yb = torch.from_numpy(ytr[idx])
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
        top1, vloss = evaluate(model, xva, yva, 500)
        history.append({'epoch': epoch + 1, 'trainLoss': loss_sum / len(ytr), 'trainTop1': correct / len(ytr), 'valTop1': top1, 'valLoss': vloss})
        print(f'torch epoch {epoch + 1}/{a.epochs}: train loss {loss_sum / len(ytr):.4f} val top-1 {100 * top1:.2f}% ({time.time() - t0:.0f} s)', file=sys.stderr)
    result = {'framework': 'pytorch', 'torch': torch.__version__, 'valTop1': history[-1]['valTop1'] if history else None,
              'valLoss': history[-1]['valLoss'] if history else None, 'history': history, 'seconds': time.time() - t0,
              'train': len(ytr), 'val': len(yva)}
    print('RESULT ' + json.dumps(result))


if __name__ == '__main__':
    main()
