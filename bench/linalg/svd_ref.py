"""Reference SVD timings and accuracy check for bench/linalg/svd.ts.

Usage: svd_ref.py DIR ROWS COLS K ROUNDS  (DIR holds a.f32, and Whittle's s.f64 and u.f64).
Thread count comes from OMP_NUM_THREADS / OPENBLAS_NUM_THREADS (the bench sets 1 by default).
"""
import os
import sys
import time

import numpy as np

d, rows, cols, k, rounds = sys.argv[1], *map(int, sys.argv[2:6])
a = np.fromfile(os.path.join(d, 'a.f32'), dtype=np.float32).reshape(rows, cols).astype(np.float64)
s_ours = np.fromfile(os.path.join(d, 's.f64'))
u_ours = np.fromfile(os.path.join(d, 'u.f64')).reshape(rows, k)


def bench(name, f):
    f()
    best = None
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        f()
        w, c = time.perf_counter() - t, time.process_time() - c
        best = (w, c) if best is None or c < best[1] else best
    print(f'{name:28s} wall {best[0] * 1000:6.0f} ms cpu {best[1] * 1000:6.0f} ms (best of {rounds}, '
          f'{os.environ.get("OMP_NUM_THREADS", "?")} thread(s))')


cases = [('numpy.linalg.svd (gesdd)', lambda: np.linalg.svd(a, full_matrices=False)),
         ('numpy Gram + eigh (syevd)', lambda: np.linalg.eigh(a @ a.T) if rows <= cols else np.linalg.eigh(a.T @ a))]
try:
    import scipy.linalg as sl
    cases.append(('scipy.linalg.svd (gesdd)', lambda: sl.svd(a, full_matrices=False)))
except ImportError:
    pass
try:
    import torch
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
    ta = torch.from_numpy(a)
    cases.append(('torch.linalg.svd', lambda: torch.linalg.svd(ta, full_matrices=False)))
except ImportError:
    pass
for name, f in cases:
    bench(name, f)

u, s, _ = np.linalg.svd(a, full_matrices=False)
rel = np.abs(s_ours - s[:k]) / s[:k]
top = min(k, 64)
# Singular vectors agree up to sign: |⟨u_ours, u_ref⟩| = 1 for distinct σ.
align = np.abs(np.sum(u_ours[:, :top] * u[:, :top], axis=0))
print(f'accuracy vs LAPACK: max rel error of σ {rel.max():.2e}; leading {top} left vectors min |cos| {align.min():.12f}')
