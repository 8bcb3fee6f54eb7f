"""The measures panel on the 13-layer ViT pair: time and peak memory beside the forward-pass floor, and the streamed
(minibatch) CKA matrix's peak memory at n = 50,000.

    .venv/bin/python benchmarks/measures.py                     # n = 2,000 panel; 50,000-image streamed CKA matrix
    .venv/bin/python benchmarks/measures.py --n 500 --stream-n 0 --permutations 20

The pair is the CKA benchmark's (timm ViT, 12 blocks, 32 × 32 input, patch 8, width 128: 2,176 features per block,
plus the pooled layer = 13 layers), the second model a noisy copy of the first. The floor is one forward pass of
each model over the n images keeping every layer's features (`capture`); the panel adds preparing the Grams and
every measure of `DEFAULT_MEASURES` at every layer. Peak memory is the process's resident peak (VmHWM) after each
stage, so each stage's figure includes the ones before it; the streamed matrix runs last, in a fresh process
(`--n 0` runs only that).
"""
import argparse, copy, json, resource, subprocess, sys, time

import timm, torch

from invflow.capture import capture, vit_layers
from invflow.measures import DEFAULT_MEASURES, prepare, score, permutation_null


def peak_mb() -> float:
    "This process's resident peak in MB: VmHWM (Linux; reset by exec, unlike ru_maxrss), else ru_maxrss."
    try:
        line = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def models():
    torch.manual_seed(0)
    pt = timm.models.vision_transformer.VisionTransformer(img_size=32, patch_size=8, embed_dim=128, depth=12,
                                                           num_heads=4, num_classes=10).eval()
    ft, g = copy.deepcopy(pt), torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in ft.parameters():
            if p.numel() > 1: p.add_(0.3 * p.std() * torch.randn(p.shape, generator=g))
    return pt, ft


def panel(n: int, permutations: int):
    pt, ft = models()
    layers = vit_layers(pt)
    x = torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    base = peak_mb()
    t0 = time.perf_counter()
    fa, fb = capture(pt, x, layers, progress=False), capture(ft, x, layers, progress=False)
    floor, mem_floor = time.perf_counter() - t0, peak_mb()
    t0 = time.perf_counter()
    pa = {l: prepare(fa.pop(l), features=True) for l in layers}
    pb = {l: prepare(fb.pop(l), features=True) for l in layers}
    p0 = prepare(x)
    prep = time.perf_counter() - t0
    times = {}
    for m in DEFAULT_MEASURES:
        t0 = time.perf_counter()
        for l in layers: score(m, pa[l], pb[l], p0)
        times[m] = time.perf_counter() - t0
    null = {}
    for m in DEFAULT_MEASURES if permutations else ():
        t0 = time.perf_counter()
        permutation_null(m, pa[layers[-2]], pb[layers[-2]], p0, n_permutations=permutations)
        null[m] = time.perf_counter() - t0
    total = floor + prep + sum(times.values())
    print(f"n = {n}, {len(layers)} layers, {pa[layers[0]].p} features per block; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"forward floor (both models, all layers): {floor:.1f} s; peak memory {mem_floor - base:.0f} MB above start")
    print(f"prepare the Grams (and PWCCA's features): {prep:.1f} s")
    for m, t in times.items():
        print(f"  {m:17s} {t:7.2f} s over {len(layers)} layers ({t / floor:.2f} × the floor)"
              + (f"; null of {permutations} draws at one layer: {null[m]:.1f} s" if m in null else ''))
    print(f"whole panel: {total:.1f} s = {total / floor:.1f} × the forward floor; peak memory "
          f"{peak_mb() - base:.0f} MB above start ({peak_mb():.0f} MB resident)")


def stream(n: int, batch: int = 500):
    "The 13 × 13 minibatch CKA matrix over n images generated batch by batch (never all in memory)."
    from invflow.similarity import cka_matrix
    pt, ft = models()
    layers = vit_layers(pt)
    g = torch.Generator().manual_seed(3)
    batches = (torch.rand(min(batch, n - s), 3, 32, 32, generator=g) for s in range(0, n, batch))
    base, t0 = peak_mb(), time.perf_counter()
    m = cka_matrix(pt, ft, batches, layers, layers, estimator='linear-debiased', mode='minibatch', progress=False)
    print(json.dumps(dict(n=n, seconds=time.perf_counter() - t0, peak_mb=peak_mb(), above_start_mb=peak_mb() - base,
                          pairs=len(m))))


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument('--n', type=int, default=2000)
    a.add_argument('--permutations', type=int, default=0)
    a.add_argument('--stream-n', type=int, default=50_000)
    a.add_argument('--_stream', type=int, help=argparse.SUPPRESS)
    a = a.parse_args()
    if a._stream: return stream(a._stream)
    if a.n: panel(a.n, a.permutations)
    if a.stream_n:
        out = subprocess.run([sys.executable, __file__, '--_stream', str(a.stream_n)], capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"streamed minibatch CKA matrix, 13 × 13 layers, n = {r['n']:,}: {r['seconds']:.0f} s, peak memory "
              f"{r['peak_mb']:.0f} MB resident ({r['above_start_mb']:.0f} MB above the process's start)")


if __name__ == '__main__':
    main()
