"""The finetuning paper's full L × L analysis of a ViT pair: invflow against the reference procedure, in one run.

    .venv/bin/python benchmarks/stir_analysis.py [--n 32] [--timed-pairs 3]

The analysis: STIR in both directions (STIR(ft^i | pt^j), STIR(pt^i | ft^j) and the self-model terms) and CKA for
every pair of the 13 layers (12 blocks + pooled) of a small ViT ("pt": timm, 32 × 32 input, patch 8, width 128,
12 blocks) and a perturbed copy of it standing in for the finetuned model ("ft").

- invflow: one inversion per (model, layer) (2·L = 26), each stopping at its layer, all of a model's layers stacked
  in one forward pass per step (`capture.StackTap`), parameters frozen; every STIR and CKA value reuses them. Twice:
  at the default settings (Adam, lr 0.1 with cosine decay, 200 steps) and with each sample stopped once its ρ is at
  or below `--target-rho` (0.01: below the reference's median ρ at every layer, so better than it on every sample).
- reference procedure (SPEC §3–5, as the public reference loop runs it): for every layer pair, invert anew in both
  directions (2·L² = 338 inversions), the whole network forward on every step, normalised-gradient step α = 0.5,
  500 steps, best iterate per sample. Its full grid is EXTRAPOLATED from `--timed-pairs` timed pairs (every pair costs
  the same: the whole network runs regardless of the layer).

The timed reference pairs and the two invflow runs are interleaved (pair, invflow, pair, invflow, pair), so that a
drift of this shared machine's speed during the run falls on both sides alike.

Printed: wall times, the ratios, each side's median ρ on the layers both inverted, and the inversion loop's achieved
FLOP/s (matmul FLOPs counted by torch's FlopCounterMode) against an fp32 matmul peak measured just before and just
after each timed loop (median of `--loop-reps` loops) — for the deepest layer alone and for all layers stacked as
the analysis runs them — and how the stacked loop's time splits between matmul-class kernels and the rest.
"""
import argparse, copy, math, time

import numpy as np
import torch
import timm
from torch.utils.flop_counter import FlopCounterMode

from invflow.capture import vit_layers, StackTap
from invflow.invert import InvertConfig, invert, frozen, relative_distance, seed_images
from invflow.similarity import cka_matrix, linear_cka
from invflow.stir import stir_matrix


def make_pair(noise=0.3):
    torch.manual_seed(0)
    pt = timm.models.vision_transformer.VisionTransformer(img_size=32, patch_size=8, embed_dim=128, depth=12,
                                                          num_heads=4, num_classes=10).eval()
    ft = copy.deepcopy(pt)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in ft.parameters():
            if p.numel() > 1: p.add_(noise * p.std() * torch.randn(p.shape, generator=g))
    return pt, ft


def reference_inversion(model, layer, x, steps=500, alpha=0.5):
    "The reference loop: whole forward every step, x ← clamp(x − α g/‖g‖, 0, 1), keep the best iterate."
    name, _, is_in = layer.partition(':')
    mod = dict(model.named_modules())[name]
    got = {}
    hook = (mod.register_forward_pre_hook(lambda m, a: got.__setitem__('r', a[0].flatten(1))) if is_in else
            mod.register_forward_hook(lambda m, i, o: got.__setitem__('r', o.flatten(1))))
    try:
        with torch.no_grad(): model(x); target = got['r']
        xi = seed_images(x).requires_grad_(True)
        best, best_x = torch.full((len(x),), math.inf), xi.detach().clone()
        for _ in range(steps + 1):
            model(xi)
            rho = relative_distance(got['r'], target)
            with torch.no_grad():
                b = rho < best; best = torch.where(b, rho, best); best_x[b] = xi[b]
            g, = torch.autograd.grad(rho.sum(), xi)
            with torch.no_grad():
                xi -= alpha * g / g.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
                xi.clamp_(0, 1)
        return best_x, best
    finally: hook.remove()


def matmul_peak(size=2048, reps=5):
    "FLOP/s of a size² float32 matrix product, now."
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    t0 = time.perf_counter()
    for _ in range(reps): a @ b
    return reps * 2 * size ** 3 / (time.perf_counter() - t0)


def reference_pair(pt, ft, x, li, lj, steps):
    "One pair (i, j) of the reference grid, both directions: invert pt^j and ft^j anew, score four STIR values."
    rhos = {}
    for name, m, other in (('pt', pt, ft), ('ft', ft, pt)):
        xp, rho = reference_inversion(m, lj, x, steps)
        linear_cka(capture_one(other, x, li), capture_one(other, xp, li))     # STIR(other^i | m^j)
        linear_cka(capture_one(m, x, li), capture_one(m, xp, li))             # STIR(m^i | m^j)
        rhos[(name, lj)] = float(rho.median())
    linear_cka(capture_one(pt, x, li), capture_one(ft, x, li))
    return rhos


def loop_share(model, x, layers, steps, reps):
    "The inversion loop's matmul FLOPs per step, its achieved FLOP/s and its share of the peak measured around it."
    with frozen(model), StackTap(model, layers) as tap:
        xi = torch.rand(len(layers) * len(x), *x.shape[1:]).requires_grad_()
        with FlopCounterMode(display=False) as fc:
            sum(r.pow(2).sum() for r in tap(xi).values()).backward()
    flops, achieved, shares = fc.get_total_flops(), [], []
    for _ in range(reps):                                   # the peak drifts on a shared machine: measure it around
        before = matmul_peak()
        t0 = time.perf_counter()
        invert(model, x, layers, steps=steps, progress=False)
        achieved.append(flops * steps / (time.perf_counter() - t0))
        shares.append(achieved[-1] / ((before + matmul_peak()) / 2))
    return flops, float(np.median(achieved)), float(np.median(shares)), shares


def time_split(model, x, layers, steps=5):
    "Share of a stacked inversion's time in matmul-class kernels (products, convolutions, attention) and the rest."
    from torch.profiler import profile, ProfilerActivity
    invert(model, x, layers, steps=1, progress=False)
    with profile(activities=[ProfilerActivity.CPU]) as prof: invert(model, x, layers, steps=steps, progress=False)
    ev = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in ev)
    mat = sum(e.self_cpu_time_total for e in ev if any(k in e.key for k in MATMUL_KERNELS))
    return mat / total


MATMUL_KERNELS = ('aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm', 'convolution', 'scaled_dot_product')


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=32)
    p.add_argument('--timed-pairs', type=int, default=3)
    p.add_argument('--ref-steps', type=int, default=500)
    p.add_argument('--target-rho', type=float, default=0.01, help="invflow's early stop in the matched-quality row")
    p.add_argument('--loop-steps', type=int, default=50, help='steps of each timed inversion loop')
    p.add_argument('--loop-reps', type=int, default=3, help='timed loops, each between two peak measurements')
    a = p.parse_args()
    pt, ft = make_pair()
    L = vit_layers(pt)
    x = torch.rand(a.n, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads; ViT 12 blocks width 128, n = {a.n}, "
          f"{len(L)} layers")

    # the reference grid's timed pairs (i, j) and invflow's two runs, interleaved so that a drift of the machine's
    # speed during the run falls on both sides alike: pair, invflow default, pair, invflow stopped early, pair, …
    pairs = [(L[k], L[j]) for k, j in zip(np.linspace(0, len(L) - 1, a.timed_pairs).round().astype(int),
                                          np.linspace(len(L) - 1, 0, a.timed_pairs).round().astype(int))]
    cfgs = [('default', InvertConfig()), ('target', InvertConfig(target_rho=a.target_rho))]
    ref_rho, runs, t_pairs = {}, {}, 0.0
    for k, (li, lj) in enumerate(pairs):
        t0 = time.perf_counter()
        ref_rho |= reference_pair(pt, ft, x, li, lj, a.ref_steps)
        t_pairs += time.perf_counter() - t0
        if k < len(cfgs): runs[cfgs[k][0]] = invflow_analysis(pt, ft, x, L, cfgs[k][1])
    for label, cfg in cfgs[len(pairs):]: runs[label] = invflow_analysis(pt, ft, x, L, cfg)
    t_ref = t_pairs / len(pairs) * len(L) ** 2
    report(a, L, pairs, t_pairs, t_ref, ref_rho, runs)

    t_one = time.perf_counter()
    invert(pt, x, L, steps=a.loop_steps, stack_rows=0, progress=False)
    t_one = time.perf_counter() - t_one
    t_all = time.perf_counter()
    invert(pt, x, L, steps=a.loop_steps, progress=False)
    t_all = time.perf_counter() - t_all
    print(f"the {len(L)} inversions of one model, {a.loop_steps} steps: one layer at a time {t_one:.1f} s, stacked "
          f"{t_all:.1f} s ({t_one / t_all:.2f}×)")
    for label, layers in (('deepest layer alone', [L[-1]]), (f'all {len(L)} layers stacked', L)):
        flops, achieved, share, shares = loop_share(pt, x, layers, a.loop_steps, a.loop_reps)
        print(f"inversion loop, {label}: {flops / 1e9:.2f} GFLOP per step (n = {a.n}), {achieved / 1e9:.1f} GFLOP/s "
              f"achieved → {share:.0%} of the fp32 matmul peak (median of {len(shares)} loops, each against the peak "
              f"measured just before and after it: " + ', '.join(f'{s:.0%}' for s in shares) + ")")
    mat = time_split(pt, x, L)
    print(f"where the stacked loop's time goes (torch.profiler, self time): {mat:.0%} in matrix products, "
          f"convolutions and attention kernels, {1 - mat:.0%} in the rest (GELU, layer norm, copies, elementwise)")


def report(a, L, pairs, t_pairs, t_ref, ref_rho, runs):
    "The table: each procedure's wall time, ratio and median ρ on the layers both inverted."
    (t_inv, rho_inv), (t_tgt, rho_tgt) = runs['default'], runs['target']
    same = list(ref_rho)
    print("\n| procedure | inversions | wall s | median ρ (layers both inverted) | ratio |")
    print("|---|---:|---:|---:|---:|")
    print(f"| invflow, default (Adam lr 0.1 cosine, 200 steps, layers stacked, reuse) | {2 * len(L)} | {t_inv:.1f} | "
          f"{np.median([rho_inv[k] for k in same]):.1e} | {t_ref / t_inv:.1f}× |")
    print(f"| invflow, each sample stopped at ρ ≤ {a.target_rho:g} | {2 * len(L)} | {t_tgt:.1f} | "
          f"{np.median([rho_tgt[k] for k in same]):.1e} | {t_ref / t_tgt:.1f}× |")
    print(f"| reference (α = 0.5, {a.ref_steps} steps, whole network, per pair) | {2 * len(L) ** 2} | "
          f"{t_ref:.0f} (extrapolated from {len(pairs)} timed pairs: {t_pairs:.1f} s) | "
          f"{np.median(list(ref_rho.values())):.1e} | 1× |")
    print(f"\ninvflow median ρ over all {2 * len(L)} inversions: default {np.median(list(rho_inv.values())):.1e}, "
          f"stopped early {np.median(list(rho_tgt.values())):.1e}; per inverted layer of the timed pairs "
          + ', '.join(f'{m} {l}: default {rho_inv[(m, l)]:.1e}, stopped early {rho_tgt[(m, l)]:.1e}, reference '
                      f'{r:.1e}' for (m, l), r in ref_rho.items()))


def invflow_analysis(pt, ft, x, L, cfg):
    "STIR both ways and CKA for every layer pair from 2·L inversions: wall time and each inversion's median ρ."
    t0 = time.perf_counter()
    s_pt = stir_matrix(pt, {'pt': pt, 'ft': ft}, x, L, config=cfg, progress=False)   # STIR(· | pt^j)
    s_ft = stir_matrix(ft, {'pt': pt, 'ft': ft}, x, L, config=cfg, progress=False)   # STIR(· | ft^j)
    cka_matrix(pt, ft, x, L, progress=False)
    secs = time.perf_counter() - t0
    rho = {('pt', l): r for l, r in s_pt.groupby('ref_layer').median_rho.first().items()}
    rho.update({('ft', l): r for l, r in s_ft.groupby('ref_layer').median_rho.first().items()})
    return secs, rho


@torch.no_grad()
def capture_one(m, x, layer):
    from invflow.capture import capture
    return capture(m, x, layer, progress=False)[layer]


if __name__ == '__main__':
    main()
