"""Same EM as src/techniques/pq/kmeans.ts in PyTorch (fairseq pq/em.py style): distinct random init,
exhaustive assignment via ||c||^2 - 2 x.c (chunked matmul), empty-cluster splitting, mean M-step.
Usage: python3 kmeans_torch.py FILE.f32 N D K ITERS   (prints seconds=..., threads, objective)."""
import sys, time
import torch

def assign(x, c, chunk=16384):
    cn = (c * c).sum(1)
    out = torch.empty(x.shape[0], dtype=torch.long)
    for s in range(0, x.shape[0], chunk):
        xs = x[s:s + chunk]
        out[s:s + chunk] = torch.argmin(cn[None, :] - 2.0 * xs @ c.t(), dim=1)
    return out

def kmeans(x, k, iters, eps=1e-6, max_tentatives=100):
    g = torch.Generator().manual_seed(0)
    c = x[torch.randperm(x.shape[0], generator=g)[:k]].clone()
    for it in range(iters + 1):
        a = assign(x, c)
        counts = torch.bincount(a, minlength=k)
        t = 0
        while (counts == 0).any() and t < max_tentatives:
            empty = torch.nonzero(counts == 0).flatten()
            e = empty[torch.randint(len(empty), (1,), generator=g)].item()
            m = torch.argmax(counts).item()
            noise = torch.randn(c.shape[1], generator=g) * eps
            c[e] = c[m] + noise
            c[m] = c[m] - noise
            a = assign(x, c)
            counts = torch.bincount(a, minlength=k)
            t += 1
        if it == iters:
            break
        sums = torch.zeros_like(c).index_add_(0, a, x)
        nz = counts > 0
        c[nz] = sums[nz] / counts[nz, None].to(x.dtype)
    obj = ((x - c[a]) ** 2).sum().item()
    return c, a, obj

if __name__ == '__main__':
    f, n, d, k, iters = sys.argv[1], *map(int, sys.argv[2:])
    x = torch.from_file(f, size=n * d, dtype=torch.float32).reshape(n, d)
    kmeans(x[:4096], 64, 2)  # warm-up
    torch.set_num_threads(1)  # same as the single-threaded JS side
    t0, c0 = time.perf_counter(), time.process_time()
    c, a, obj = kmeans(x, k, iters)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} n={n} d={d} K={k} iters={iters}: seconds={dt:.3f} cpu={dc:.3f} objective {obj:.4f}")
