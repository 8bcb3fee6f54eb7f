"""The 13 × 13 layer CKA matrix of two ViTs: invflow against torch-cka and pytorch-cka, in one run.

    make bench            # or: .venv/bin/python benchmarks/cka_matrix.py [--n 2000] [--batch 250]

All tools see the same two models (timm ViT, 12 blocks, 32 × 32 input, patch 8, width 128 → 17 × 128 = 2,176 features
per block, plus the pooled representation) and the same images in the same batches. Both peers compute the minibatch
debiased CKA of Nguyen et al. (HSIC₁ summed over batches), so that is the estimator compared: each tool's matrix is
checked against a float64 transcription of Song et al.'s HSIC₁ formula on features taken with timm's own
`forward_intermediates` (independent of every tool's hooks). invflow's exact full-data estimators are timed and checked
too. Wall times are the best of `--repeat` runs; ratios are from this run only.
"""
import argparse, math, platform, time, warnings

import numpy as np
import torch
import timm
from torch.utils.data import DataLoader, TensorDataset

from invflow.capture import vit_layers
from invflow.similarity import cka_matrix, cka_square


def make_vit(seed):
    torch.manual_seed(seed)
    return timm.models.vision_transformer.VisionTransformer(
        img_size=32, patch_size=8, embed_dim=128, depth=12, num_heads=4, num_classes=10).eval()


@torch.no_grad()
def reference_features(model, x, batch):
    "float64 block outputs (tokens × width, CLS included) and the pooled representation, via timm, not via hooks."
    outs = []
    for xb in x.split(batch):
        blocks = model.forward_intermediates(xb, indices=len(model.blocks), return_prefix_tokens=False, norm=False,
                                             output_fmt='NLC', intermediates_only=True)
        # forward_intermediates drops prefix tokens in NLC unless asked: rebuild block outputs with CLS explicitly
        h = model.norm_pre(model.patch_drop(model._pos_embed(model.patch_embed(xb))))
        feats = []
        for blk in model.blocks:
            h = blk(h); feats.append(h.flatten(1))
        assert torch.equal(blocks[-1], h[:, model.num_prefix_tokens:]), "timm intermediates disagree with block outputs"
        feats.append(model.forward_head(model.norm(h), pre_logits=True))
        outs.append([f.double().numpy() for f in feats])
    return [np.concatenate([o[i] for o in outs]) for i in range(len(outs[0]))]


def song_hsic1(K, L):
    "Song et al. (2012) eq. 5, literally, on Grams with zeroed diagonals, float64."
    n = len(K)
    K, L = K.copy(), L.copy(); np.fill_diagonal(K, 0); np.fill_diagonal(L, 0)
    return (np.sum(K * L) + K.sum() * L.sum() / ((n - 1) * (n - 2)) - 2 / (n - 2) * K.sum(0) @ L.sum(0)) / (n * (n - 3))


def reference_minibatch(fa, fb, batch):
    "Minibatch debiased CKA: HSIC₁ terms summed over batches, ratio at the end."
    n = len(fa[0]); La, Lb = len(fa), len(fb)
    xy, xx, yy = np.zeros((La, Lb)), np.zeros(La), np.zeros(Lb)
    for s in range(0, n, batch):
        Ka = [f[s:s + batch] @ f[s:s + batch].T for f in fa]
        Kb = [f[s:s + batch] @ f[s:s + batch].T for f in fb]
        for i in range(La):
            xx[i] += song_hsic1(Ka[i], Ka[i])
            for j in range(Lb): xy[i, j] += song_hsic1(Ka[i], Kb[j])
        for j in range(Lb): yy[j] += song_hsic1(Kb[j], Kb[j])
    return xy / np.sqrt(np.outer(xx, yy))


def reference_full(fa, fb, debiased):
    n = len(fa[0]); H = np.eye(n) - 1 / n
    def prep(f):
        K = f @ f.T
        return K if debiased else H @ K @ H
    ga, gb = [prep(f) for f in fa], [prep(f) for f in fb]
    h = song_hsic1 if debiased else (lambda K, L: np.sum(K * L))
    return np.array([[h(a, b) / math.sqrt(h(a, a) * h(b, b)) for b in gb] for a in ga])


def best_of(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t)
    return min(times), out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=2000); p.add_argument('--batch', type=int, default=250)
    p.add_argument('--repeat', type=int, default=2)
    a = p.parse_args()
    torch.set_grad_enabled(False)
    ma, mb = make_vit(0), make_vit(1)
    x = torch.rand(a.n, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    layers = vit_layers(ma)                                   # blocks.0 … blocks.11, head:in
    peer_layers = [f'blocks.{i}' for i in range(12)] + ['fc_norm']  # fc_norm is Identity here: its output = head:in
    loader = lambda: DataLoader(TensorDataset(x), batch_size=a.batch)
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"n = {a.n}, minibatch {a.batch}, 2 ViTs × {len(layers)} layers, {ma.blocks[0].mlp.fc1.in_features * 17} features/block")

    t0 = time.perf_counter()
    fa, fb = reference_features(ma, x, a.batch), reference_features(mb, x, a.batch)
    ref_mb = reference_minibatch(fa, fb, a.batch)
    print(f"# float64 references computed in {time.perf_counter() - t0:.1f} s (not part of any tool's time)")

    def forwards_only():
        for xb in x.split(a.batch): ma(xb); mb(xb)
    floor, _ = best_of(forwards_only, a.repeat)

    rows = []
    def record(tool, estimator, seconds, m, ref):
        m = np.asarray(m, dtype=np.float64)
        rows.append((tool, estimator, seconds, float(np.nanmax(np.abs(m - ref))), int(np.isnan(m).sum())))

    t, df = best_of(lambda: cka_matrix(ma, mb, x, layers, estimator='linear-debiased', mode='minibatch',
                                       batch_size=a.batch, progress=False), a.repeat)
    record('invflow', 'minibatch debiased', t, cka_square(df).values, ref_mb)

    try:
        import torch_cka
        def run_torch_cka():
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                c = torch_cka.CKA(ma, mb, model1_name='a', model2_name='b', model1_layers=peer_layers,
                                  model2_layers=peer_layers, device='cpu')
                c.compare(loader())
            for h in [*ma.modules(), *mb.modules()]: h._forward_hooks.clear()  # torch-cka never removes its hooks
            return c.hsic_matrix
        t, m = best_of(run_torch_cka, a.repeat)
        record('torch-cka 0.21', 'minibatch debiased', t, m, ref_mb)
    except ImportError: print("# torch-cka is not installed: it comes with invflow's bench extra, pip install 'invflow[bench]'")

    try:
        import cka as pytorch_cka
        t, m = best_of(lambda: pytorch_cka.compute_cka(ma, mb, loader(), layers=peer_layers, device='cpu',
                                                       progress=False)[0], a.repeat)
        record('pytorch-cka 1.1.3', 'minibatch debiased', t, m, ref_mb)
    except ImportError: print("# pytorch-cka is not installed: it comes with invflow's bench extra, pip install 'invflow[bench]'")

    for est, deb in (('linear', False), ('linear-debiased', True)):
        t, df = best_of(lambda: cka_matrix(ma, mb, x, layers, estimator=est, batch_size=a.batch, progress=False),
                        a.repeat)
        record('invflow', f'full-data {est}', t, cka_square(df).values, reference_full(fa, fb, deb))

    peers = [r for r in rows if r[0] != 'invflow']
    fastest = min(r[2] for r in peers) if peers else math.nan
    ours = rows[0][2]
    print(f"\n| tool | estimator | wall s | time / invflow (same estimator) | max abs error vs float64 | NaN |")
    print("|---|---|---:|---:|---:|---:|")
    for tool, est, t, err, nan in rows:
        ratio = f"{t / ours:.2f}×" if est == 'minibatch debiased' else '—'
        print(f"| {tool} | {est} | {t:.2f} | {ratio} | {err:.1e} | {nan} |")
    print(f"| (both models' forward passes alone: the floor for any tool) | — | {floor:.2f} | {floor / ours:.2f}× | — | — |")
    print(f"\ninvflow speed-up over the fastest peer (minibatch debiased): {fastest / ours:.2f}×; "
          f"invflow's time above the forward-pass floor: {ours - floor:.2f} s, the fastest peer's: {fastest - floor:.2f} s")


if __name__ == '__main__':
    main()
