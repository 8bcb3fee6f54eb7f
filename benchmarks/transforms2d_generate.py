"""Time to generate the default Transforms-2D training split: 50,000 32 × 32 images, all 18 transformations.

    .venv/bin/python benchmarks/transforms2d_generate.py [--n 50000]
"""
import argparse, time
import torch
from invflow.transforms2d import Transforms2D, TRANSFORMS

p = argparse.ArgumentParser(description=__doc__); p.add_argument('--n', type=int, default=50_000)
a = p.parse_args()
t0 = time.perf_counter()
ds = Transforms2D(list(TRANSFORMS), n=a.n)
t1 = time.perf_counter()
x, y = ds.tensors()
t2 = time.perf_counter()
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
print(f"61 objects + 867 backgrounds: {t1 - t0:.1f} s; {len(x):,} images with all {len(TRANSFORMS)} transformations: "
      f"{t2 - t1:.1f} s ({len(x) / (t2 - t1):,.0f} images/s)")
