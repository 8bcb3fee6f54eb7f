"""The finetuning paper's full L × L analysis of a ViT pair: invflow against the reference procedure, in one run.

    .venv/bin/python benchmarks/stir_analysis.py [--n 32] [--timed-pairs 3]

The analysis: STIR in both directions (STIR(ft^i | pt^j), STIR(pt^i | ft^j) and the self-model terms) and CKA for
every pair of the 13 layers (12 blocks + pooled) of a small ViT ("pt": timm, 32 × 32 input, patch 8, width 128,
12 blocks) and a perturbed copy of it standing in for the finetuned model ("ft").

- invflow: one inversion per (model, layer) — 2·L = 26 — each stopping at its layer, default optimiser (Adam,
  lr 0.1 with cosine decay, 200 steps), parameters frozen; every STIR and CKA value reuses them.
- reference procedure (SPEC §3–5, as the public reference loop runs it): for every layer pair, invert anew in both
  directions (2·L² = 338 inversions), the whole network forward on every step, normalised-gradient step α = 0.5,
  500 steps, best iterate per sample. Its full grid is EXTRAPOLATED from `--timed-pairs` timed pairs (every pair costs
  the same: the whole network runs regardless of the layer).

Printed: wall times, the ratio, each side's median ρ on the layers both inverted, and the inversion loop's achieved
FLOP/s (matmul FLOPs counted by torch's FlopCounterMode) against an fp32 matmul peak measured in the same run.
"""
import argparse, copy, math, time

import numpy as np
import torch
import timm
from torch.utils.flop_counter import FlopCounterMode

from invflow.capture import vit_layers, LayerTap
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


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=32); p.add_argument('--timed-pairs', type=int, default=3)
    p.add_argument('--ref-steps', type=int, default=500)
    a = p.parse_args()
    pt, ft = make_pair()
    L = vit_layers(pt)
    x = torch.rand(a.n, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads; ViT 12 blocks width 128, n = {a.n}, "
          f"{len(L)} layers")

    # invflow: 2·L inversions, everything else reuses them
    cfg = InvertConfig()
    t0 = time.perf_counter()
    s_pt = stir_matrix(pt, x, L, {'pt': pt, 'ft': ft}, config=cfg, progress=False)   # STIR(· | pt^j)
    s_ft = stir_matrix(ft, x, L, {'pt': pt, 'ft': ft}, config=cfg, progress=False)   # STIR(· | ft^j)
    c = cka_matrix(pt, x, L, ft, progress=False)
    t_inv = time.perf_counter() - t0
    rho_inv = {('pt', l): r for l, r in s_pt.groupby('ref_layer').median_rho.first().items()}
    rho_inv.update({('ft', l): r for l, r in s_ft.groupby('ref_layer').median_rho.first().items()})

    # the reference procedure on a few pairs (i, j), both directions: invert pt^j and ft^j anew for each pair
    pairs = [(L[k], L[j]) for k, j in zip(np.linspace(0, len(L) - 1, a.timed_pairs).round().astype(int),
                                          np.linspace(len(L) - 1, 0, a.timed_pairs).round().astype(int))]
    t0, ref_rho, inv_rho_same = time.perf_counter(), [], []
    for li, lj in pairs:
        for name, m in (('pt', pt), ('ft', ft)):
            xp, rho = reference_inversion(m, lj, x, a.ref_steps)
            other = ft if name == 'pt' else pt
            feats = lambda mm, xx, l: capture_one(mm, xx, l)
            linear_cka(feats(other, x, li), feats(other, xp, li))               # STIR(other^i | m^j)
            linear_cka(feats(m, x, li), feats(m, xp, li))                       # STIR(m^i | m^j)
            ref_rho.append(float(rho.median())); inv_rho_same.append(rho_inv[(name, lj)])
        linear_cka(capture_one(pt, x, li), capture_one(ft, x, li))
    t_pairs = time.perf_counter() - t0
    t_ref = t_pairs / len(pairs) * len(L) ** 2

    # FLOP/s of invflow's inversion loop at the deepest layer against a matmul peak, same run
    A, B = torch.randn(2048, 2048), torch.randn(2048, 2048)
    A @ B; t0 = time.perf_counter(); [A @ B for _ in range(5)]; peak = 5 * 2 * 2048 ** 3 / (time.perf_counter() - t0)
    with frozen(pt), LayerTap(pt, L[-1], grad=True) as tap:
        tgt = tap(x, grad=False)[L[-1]]
        xi = torch.rand_like(x).requires_grad_()
        with FlopCounterMode(display=False) as fc:
            relative_distance(tap(xi)[L[-1]], tgt).sum().backward()
        flops_step = fc.get_total_flops()
    S = 50
    t0 = time.perf_counter(); invert(pt, x, L[-1], steps=S, progress=False); dt = time.perf_counter() - t0
    achieved = flops_step * S / dt

    print(f"\n| procedure | inversions | wall s | median ρ (layers both inverted) |")
    print(f"|---|---:|---:|---:|")
    print(f"| invflow (Adam lr 0.1 cosine, 200 steps, stop at layer, reuse) | {2 * len(L)} | {t_inv:.1f} | {np.median(inv_rho_same):.1e} |")
    print(f"| reference (α = 0.5, {a.ref_steps} steps, whole network, per pair) | {2 * len(L) ** 2} | "
          f"{t_ref:.0f} (extrapolated from {len(pairs)} timed pairs: {t_pairs:.1f} s) | {np.median(ref_rho):.1e} |")
    print(f"\ntime ratio reference / invflow: {t_ref / t_inv:.1f}×")
    print(f"invflow median ρ over all {2 * len(L)} inversions: {np.median(list(rho_inv.values())):.1e}; "
          f"per layer of the timed pairs: " + ', '.join(f'{r:.1e}' for r in inv_rho_same) +
          "; reference: " + ', '.join(f'{r:.1e}' for r in ref_rho))
    print(f"inversion loop: {flops_step / 1e9:.2f} GFLOP per step (n = {a.n}, deepest layer), {achieved / 1e9:.1f} GFLOP/s "
          f"achieved; fp32 matmul peak {peak / 1e9:.1f} GFLOP/s → {achieved / peak:.0%} of peak")


@torch.no_grad()
def capture_one(m, x, layer):
    from invflow.capture import capture
    return capture(m, x, layer, progress=False)[layer]


if __name__ == '__main__':
    main()
