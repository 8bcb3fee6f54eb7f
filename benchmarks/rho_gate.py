"""Which inversion quality ρ can the finetuning metrics be read at? Measures the quality gate `RHO_GATE`.

For a pretrained ViT and a finetuned stand-in (the same network with weight noise, or two checkpoints you pass), run
the per-layer analysis with measured self terms at growing inversion budgets. The run with the most steps is the
converged reference; a (run, layer) *passes* when its forgetting and learning both lie within the bootstrap half-width
of the reference's. The gate is the largest median ρ (either model) of a passing entry that is below the smallest ρ of
any failing entry: at or under it, every layer read the same numbers as at convergence.

    .venv/bin/python benchmarks/rho_gate.py                       # tiny ViT (32 px, width 32, depth 3), n = 48
    .venv/bin/python benchmarks/rho_gate.py --pt PT --ft FT       # two models, any spec of invflow.zoo
    .venv/bin/python benchmarks/rho_gate.py --pt runs/demo/checkpoints/pretrain_A/epoch_015.safetensors \
        --ft runs/demo/checkpoints/finetune_B_classification/epoch_010.safetensors --images study \
        --steps 50,150,300,600,1200                              # the embedded study's models, on its images
"""
import argparse, copy, time, warnings
import pandas as pd
import timm, torch
from invflow.metrics import analyze
from invflow.invert import InvertConfig
from invflow.families import auto_layers
from invflow.zoo import load_model


def noisy(m, scale=0.3, seed=1):
    m, g = copy.deepcopy(m), torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            if p.numel() > 1: p.add_(scale * p.std() * torch.randn(p.shape, generator=g))
    return m


def models(a):
    if a.pt: return load_model(a.pt), load_model(a.ft)
    torch.manual_seed(0)
    pt = timm.models.vision_transformer.VisionTransformer(img_size=32, patch_size=8, embed_dim=32, depth=3,
                                                           num_heads=2, num_classes=10).eval()
    return pt, noisy(pt)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--pt'); p.add_argument('--ft'); p.add_argument('--n', type=int, default=48)
    p.add_argument('--steps', default='2,5,10,25,50,100,200')
    p.add_argument('--images', choices=('random', 'study'), default='random',
                   help="uniform noise, or the embedded study's task-B test images")
    a = p.parse_args()
    pt, ft = models(a)
    if a.images == 'study':
        from invflow.study import StudyConfig, study_data
        x = study_data(StudyConfig())[2].tensors()[0][:a.n]
    else: x = torch.rand(a.n, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    warnings.simplefilter('ignore')
    rows, t0 = [], time.perf_counter()
    for steps in map(int, a.steps.split(',')):
        res = analyze(pt, ft, x, auto_layers(pt), config=InvertConfig(steps=steps), self_terms='measured',
                      progress=False)
        rows.append(res.per_layer.assign(steps=steps))
    df = pd.concat(rows, ignore_index=True)
    ref = df[df.steps == df.steps.max()].set_index('layer')
    df['rho'] = df[['median_rho_pt', 'median_rho_ft']].max(axis=1)
    ok = pd.Series(True, index=df.index)
    for m in ('forgetting', 'learning'):
        half = (ref[f'{m}_ci_high'] - ref[f'{m}_ci_low']) / 2
        ok &= (df[m] - df.layer.map(ref[m])).abs() <= df.layer.map(half)
    df['passes'] = ok
    print(df[['steps', 'layer', 'rho', 'forgetting', 'learning', 'self_stir_pt',
              'passes']].round(4).to_string(index=False))
    worst = df.loc[~df.passes, 'rho'].min() if (~df.passes).any() else float('inf')
    gate = df.loc[df.passes & (df.rho < worst), 'rho'].max()
    print(f"\nsmallest ρ of a failing entry: {worst:.4f}; largest ρ of a passing entry below it: {gate:.4f} "
          f"→ gate {gate:.2g} (n = {a.n}, {time.perf_counter() - t0:.0f} s)")


if __name__ == '__main__':
    main()
