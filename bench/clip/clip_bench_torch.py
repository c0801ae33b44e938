"""PyTorch side of bench/clip/clip-bench.ts: the same CLIP shapes (openai model.py structure, from
scripts/fixtures/clip-model.py) with random fp32 weights, eval mode, no_grad, on CPU.
Usage: python3 clip_bench_torch.py MODELS BATCHES REPS  (e.g. "ViT-B/32,RN50" "1,32" 3)"""
import importlib.util
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("clip_model", os.path.join(HERE, "..", "..", "scripts", "fixtures", "clip-model.py"))
cm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cm)

CONFIGS = {
    "RN50": dict(embed_dim=1024, image_resolution=224, vision_layers=(3, 4, 6, 3), vision_width=64, vision_patch_size=None),
    "ViT-B/32": dict(embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768, vision_patch_size=32),
}


def timed(fn, reps):
    fn()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps * 1000


def main():
    names, batches, reps = sys.argv[1].split(","), [int(b) for b in sys.argv[2].split(",")], int(sys.argv[3])
    if len(sys.argv) > 4 and int(sys.argv[4]) > 0:
        torch.set_num_threads(int(sys.argv[4]))  # same thread count as Whittle's run
    print(f"torch {torch.__version__} threads {torch.get_num_threads()}")
    for name in names:
        cfg = CONFIGS[name]
        model = cm.CLIP(**cfg, context_length=77, vocab_size=49408, transformer_width=512, transformer_heads=8, transformer_layers=12).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 0.02)
        r = cfg["image_resolution"]
        for b in batches:
            images = torch.randn(b, 3, r, r)
            text = torch.randint(1, 40000, (b, 77))
            text[:, 12] = 49407
            with torch.no_grad():
                ti = timed(lambda: model.encode_image(images), reps)
                tt = timed(lambda: model.encode_text(text), reps)
            print(f"torch {name} b={b:2d}  image {ti:.1f} ms ({1000 * b / ti:.1f}/s)  text {tt:.1f} ms ({1000 * b / tt:.1f}/s)")


if __name__ == "__main__":
    main()
