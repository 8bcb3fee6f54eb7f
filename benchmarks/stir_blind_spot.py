"""What does block-level STIR measure on a small ViT? Decomposes forgetting of planted changes and tests probes.

Hypothesis under test (SPEC §4): pre-norm residual blocks are close to injective on the token stream, so an inversion
X' of block l recovers the stem's tokens (stem(X') ≈ stem(X)); STIR at block l then measures the shared stem and the
inversion's residual error, not the block ("stem floor" blind spot).

For each model — the embedded study's pretrained ViT (vit_t32), a random-init torchvision ResNet-18 and a ResNet-18
trained briefly on Transforms-2D task B — and each analysed layer l it measures, on the study's 48 task-B test images:

* (a) the stem's share: ρ (relative distance at l), ρ_stem (relative distance of the stem's output tokens,
  i.e. the first block's input, between X' and X), CKA(stem(X), stem(X')) (STIR of the stem alone), and how much of
  pt^l(X) the stem's tokens explain linearly (CKA(pt^l(X), stem(X)));
* (b) the residual error: the self term STIR(pt^l | pt^l) and the stem floor's forgetting at several step budgets;
* (c) the blocks' own invariances: forgetting (measured self terms) of the identical copy, the stem floor (stem kept,
  all else re-initialised), stem re-init, re-init of block l alone and random init, with CKA divergence beside it.

Then it evaluates alternative probes against the same planted changes:
  noise    the reference inversion (invflow.stir.invert_reference, seed 'noise');
  images   the same, seeded from other images of the set (seed 'images');
  repel λ  minimise ρ_l(x') − λ·min(ρ_stem(x'), c): Adam, lr 0.1, cosine decay, pixels clamped to [0, 1];
  tokens   invert in the token space after the stem: optimise the stem's output tokens, read the blocks on them.
Forgetting of a change at a layer has a 95% interval from half-samples without replacement (delete-d jackknife,
`invflow.validity.half_samples`, `jackknife_se`); it is paired with the identical copy (whose forgetting is exactly 0
and is checked) and a change is "detected" when the interval of the difference excludes 0. CKA is linear, float64.

Run (nice it on a shared machine; ~25 min on 1 busy CPU core, --quick ~3 min):

    nice -n 10 .venv/bin/python benchmarks/stir_blind_spot.py
    nice -n 10 .venv/bin/python benchmarks/stir_blind_spot.py --quick
    nice -n 10 .venv/bin/python benchmarks/stir_blind_spot.py --models vit --steps 50,100,200 --lambdas 0.1,0.3,1

Writes benchmarks/results/stir_blind_spot[_quick]_{layers,steps,probes,summary,long}.csv and prints the tables.
"""
import argparse, shlex, sys, time, warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.stats
import torch
from torch import nn, Tensor

from invflow.capture import capture, resolve_layers
from invflow.invert import InvertConfig, adam_step, frozen, relative_distance, seed_images
from invflow.metrics import _raw_gram, resampled_cka
from invflow.stir import invert_reference
from invflow.validity import half_samples, jackknife_se, planted_changes
from invflow.families import auto_layers
from invflow.zoo import load_model

RESULTS = Path(__file__).resolve().parent / 'results'
PT_VIT = 'runs/demo/checkpoints/pretrain_A/epoch_015.safetensors'
Z = float(scipy.stats.norm.ppf(0.975))
TIMES: dict[str, float] = {}


@contextmanager
def stage(name: str):
    "Time a stage with time.perf_counter into TIMES (and print it)."
    t0 = time.perf_counter()
    yield
    key = name if name not in TIMES else f'{name} #{len(TIMES)}'
    TIMES[key] = time.perf_counter() - t0
    print(f'  [{TIMES[key]:7.1f} s] {name}', flush=True)


# ------------------------------------------------------------------------------------------------------ data, models
def study_images(n: int) -> tuple[Tensor, Tensor, tuple]:
    "The study's analysis images X (task-B test, first n), and task B's training set for the ResNet."
    from invflow.study import StudyConfig, study_data
    _, b, bt = study_data(StudyConfig())
    return bt.tensors(n)[0], bt.tensors(500), b.tensors()


def resnet(seed: int) -> nn.Module:
    "torchvision ResNet-18 with 10 classes, random init (seeded), in eval mode."
    import torchvision
    torch.manual_seed(seed)
    return torchvision.models.resnet18(num_classes=10).eval()


def train_resnet(train: tuple, test: tuple, steps: int, seed: int = 0) -> tuple[nn.Module, float]:
    "A ResNet-18 trained `steps` AdamW steps (batch 32, lr 1e-3) on task B; its test accuracy."
    m, (xs, ys) = resnet(seed).train(), train
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.05)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        i = torch.randint(0, len(xs), (32,), generator=g)
        loss = nn.functional.cross_entropy(m(xs[i]), ys[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    with torch.no_grad():
        acc = float((m(test[0]).argmax(1) == test[1]).float().mean())
    return m, acc


# ------------------------------------------------------------------------------------------------ differentiable taps
class _Stop(Exception):
    "Raised once every tapped layer has been read: nothing after it needs to run."


def tap(model: nn.Module, x: Tensor, specs: list[str], tokens: Tensor | None = None, first: str | None = None):
    "`{spec: flattened output (':in': input)}` on pixels `x`, with gradients; `tokens` replace `first`'s input."
    got, hs = {}, []

    def grab(s, v):
        got[s] = v.flatten(1)
        if len(got) == len(specs):
            raise _Stop

    if tokens is not None:
        mod = resolve_layers(model, [first])[0][1]
        hs.append(mod.register_forward_pre_hook(lambda m, a: (tokens,)))
    for s, mod, is_in in resolve_layers(model, specs):
        if is_in:
            hs.append(mod.register_forward_pre_hook(lambda m, a, s=s: grab(s, a[0])))
        else:
            hs.append(mod.register_forward_hook(lambda m, a, o, s=s: grab(s, o)))
    try:
        model(x)
    except _Stop:
        pass
    finally:
        for h in hs:
            h.remove()
    return got


def raw_input(model: nn.Module, x: Tensor, stem: str) -> Tensor:
    "The unflattened input of the first block (`stem` is 'first:in'): the stem's output tokens."
    got = {}

    def grab(m, a):
        got['x'] = a[0]
        raise _Stop

    h = resolve_layers(model, [stem])[0][1].register_forward_pre_hook(grab)
    try:
        model(x)
    except _Stop:
        pass
    finally:
        h.remove()
    return got['x']


def lr_at(lr: float, t: int, steps: int) -> float:
    "Cosine decay of `lr` to 0 over `steps` (as InvertConfig.lr_at)."
    return lr * 0.5 * (1 + np.cos(np.pi * t / steps))


# ----------------------------------------------------------------------------------------------------------- probes
@dataclass
class Probe:
    "One probe's inputs per layer (pixels X' or stem tokens T') and their quality."
    name: str
    space: str                                  # 'pixels' or 'tokens'
    inputs: dict = field(default_factory=dict)  # layer → X' (n, C, H, W) or T' (stem-output shape)
    rho: dict = field(default_factory=dict)     # layer → ρ at the layer, per sample
    rho_stem: dict = field(default_factory=dict)  # layer → ρ of the stem's tokens, per sample
    seconds: float = 0.0


def stem_rho(model: nn.Module, x: Tensor, xp: Tensor, stem: str) -> Tensor:
    "Per-sample ‖stem(x') − stem(x)‖ / ‖stem(x)‖."
    f = capture(model, torch.cat([x, xp]), [stem], progress=False)[stem]
    return relative_distance(f[len(x):], f[:len(x)])


def reference_probe(model, x, layers, stem, steps: int, seed: str = 'noise', r: int = 0) -> Probe:
    "invflow's inversion (Adam, lr 0.1, cosine) from `seed` (seed set r): X', ρ and ρ_stem per layer."
    t0 = time.perf_counter()
    invs = invert_reference(model, x, layers, seeds=[r], seed_kind=seed, config=InvertConfig(steps=steps),
                            progress=False)
    p = Probe(f'{seed} {steps}' + (f' r{r}' if r else ''), 'pixels', seconds=time.perf_counter() - t0)
    for l in layers:
        inv = invs[(l, r)]
        p.inputs[l], p.rho[l] = inv.x, inv.rho
        p.rho_stem[l] = stem_rho(model, x, inv.x, stem)
    return p


def repel_layer(model, x, layer, stem, lam: float, cap: float, steps: int, lr: float = 0.1):
    "X' minimising ρ_l(x') − λ·min(ρ_stem(x'), c) from noise: Adam, cosine, clamped; each sample's best iterate."
    with torch.no_grad():
        t = tap(model, x, [stem, layer])
    xp = seed_images(x, kind='noise', seed_index=0).clamp(0, 1).requires_grad_(True)
    m, v = torch.zeros_like(xp), torch.zeros_like(xp)
    best, best_x = torch.full((len(x),), np.inf), xp.detach().clone()
    best_r, best_s = best.clone(), best.clone()
    for k in range(steps + 1):
        r = tap(model, xp, [stem, layer])
        rho, rs = relative_distance(r[layer], t[layer]), relative_distance(r[stem], t[stem])
        obj = rho - lam * rs.clamp(max=cap)
        with torch.no_grad():
            better = obj < best
            best = torch.where(better, obj, best)
            best_r, best_s = torch.where(better, rho, best_r), torch.where(better, rs, best_s)
            best_x[better] = xp.detach()[better]
        if k == steps:
            break
        g, = torch.autograd.grad(obj.sum(), xp)
        with torch.no_grad():
            adam_step(xp, g, m, v, k + 1, lr_at(lr, k, steps))
            xp.clamp_(0, 1)
    return best_x, best_r.detach(), best_s.detach()


def token_layer(model, x, layer, stem, steps: int, lr: float = 0.1):
    "T' with blocks_≤l(T') ≈ pt^l(X), from Gaussian tokens (the stem output's per-feature mean and spread)."
    with torch.no_grad():
        t = tap(model, x, [stem, layer])
        shape = raw_input(model, x[:1], stem).shape[1:]
    mu, sd = t[stem].mean(0), t[stem].std(0)
    g0 = torch.Generator().manual_seed(0)
    tok = (mu + sd * torch.randn(t[stem].shape, generator=g0)).view(len(x), *shape).requires_grad_(True)
    m, v = torch.zeros_like(tok), torch.zeros_like(tok)
    step = lr * float(t[stem].pow(2).mean().sqrt())
    best, best_t = torch.full((len(x),), np.inf), tok.detach().clone()
    for k in range(steps + 1):
        rho = relative_distance(tap(model, x, [layer], tok, stem)[layer], t[layer])
        with torch.no_grad():
            better = rho < best
            best = torch.where(better, rho, best)
            best_t[better] = tok.detach()[better]
        if k == steps:
            break
        g, = torch.autograd.grad(rho.sum(), tok)
        with torch.no_grad():
            adam_step(tok, g, m, v, k + 1, lr_at(step, k, steps))
    return best_t, best.detach(), relative_distance(best_t.flatten(1), t[stem]).detach()


def own_probe(name: str, space: str, fn, model, x, layers, stem, **kw) -> Probe:
    "A probe built layer by layer by `fn` (repel_layer or token_layer), parameters frozen."
    p, t0 = Probe(name, space), time.perf_counter()
    with frozen(model):
        for l in layers:
            p.inputs[l], p.rho[l], p.rho_stem[l] = fn(model, x, l, stem, **kw)
    p.seconds = time.perf_counter() - t0
    return p


# ------------------------------------------------------------------------------------------------------ read-outs
def read(model: nn.Module, probe: Probe, layer: str, stem: str) -> Tensor:
    "The model's layer on the probe's inputs for `layer` (its blocks on the tokens, for a token probe)."
    with torch.no_grad():
        if probe.space == 'pixels':
            return capture(model, probe.inputs[layer], [layer], progress=False)[layer]
        dummy = torch.zeros(len(probe.inputs[layer]), 3, 32, 32)
        return tap(model, dummy, [layer], probe.inputs[layer], stem)[layer]


def cka_values(gx: Tensor, gy: Tensor, idx: list[Tensor]) -> np.ndarray:
    "Linear CKA (float64) on the full sample, then on each half-sample: one array, full value first."
    return np.concatenate([resampled_cka(gx, gy, i) for i in idx])


@dataclass
class Target:
    "One planted change: the model and its Grams on X at every layer and at the stem."
    name: str
    where: str
    model: nn.Module
    grams: dict


def targets(pt: nn.Module, x: Tensor, all_layers, layers, stem) -> list[Target]:
    "The planted changes of `pt` (identical copy first; each layer of `layers` re-initialised alone)."
    plants = planted_changes(pt, x, all_layers, at=layers, noise=())
    out = []
    for name, (where, build) in plants.items():
        m = build()
        f = capture(m, x, list(layers) + [stem], progress=False)
        out.append(Target(name, where, m, {l: _raw_gram(v, 'linear') for l, v in f.items()}))
    return out


def interval(v: np.ndarray, control: np.ndarray, n: int) -> dict:
    "Value, 95% half-sample interval, paired difference with the control and whether it excludes 0."
    d = v - control
    se, se_d = jackknife_se(v[1:], n), jackknife_se(d[1:], n)
    return dict(value=v[0], ci_low=v[0] - Z * se, ci_high=v[0] + Z * se, difference=d[0],
                detected=bool(abs(d[0]) > Z * se_d))


def score_probe(probe: Probe, ts: list[Target], layers, stem, idx, n) -> list[dict]:
    "Long rows: forgetting (measured self terms) and CKA divergence of every change at every layer, for one probe."
    pt, rows = ts[0], []
    for l in layers:
        gy = {t.name: _raw_gram(read(t.model, probe, l, stem), 'linear') for t in ts}
        self_v = cka_values(pt.grams[l], gy[pt.name], idx)
        forget = {t.name: self_v - cka_values(t.grams[l], gy[t.name], idx) for t in ts}
        div = {t.name: 1 - cka_values(t.grams[l], pt.grams[l], idx) for t in ts}
        for t in ts:
            for meas, vals in (('forgetting', forget), ('cka_divergence', div)):
                rows.append(dict(probe=probe.name, change=t.name, planted_at=t.where, layer=l, measure=meas,
                                 **interval(vals[t.name], vals[pt.name], n), self_stir=self_v[0]))
    return rows


# ------------------------------------------------------------------------------------------------------ tables
SHORT = {'identical copy': 'ident', 'stem floor': 'floor', 'stem re-init': 'stem', 'random init': 'random'}


def short_change(change: str, layer: str) -> str | None:
    "The column a change goes to at `layer` (re-init of the layer itself → 'block'; other layers' re-inits: none)."
    if change in SHORT:
        return SHORT[change]
    return 'block' if change == f're-init {layer}' else None


def layer_table(long: pd.DataFrame, probe: Probe, model: nn.Module, x: Tensor, layers, stem) -> pd.DataFrame:
    "Per layer: ρ, ρ_stem, STIR of the stem alone, CKA(pt^l, stem), self STIR, forgetting / divergence per change."
    f = capture(model, x, list(layers) + [stem], progress=False)
    gs = _raw_gram(f[stem], 'linear')
    rows = []
    for l in layers:
        t = long[(long.probe == probe.name) & (long.layer == l)]
        row = dict(layer=l, rho=float(probe.rho[l].median()), rho_stem=float(probe.rho_stem[l].median()))
        if probe.space == 'pixels':
            gsp = _raw_gram(capture(model, probe.inputs[l], [stem], progress=False)[stem], 'linear')
            row['stir_stem'] = float(resampled_cka(gs, gsp, torch.arange(len(x))[None])[0])
        row['cka_l_stem'] = float(resampled_cka(_raw_gram(f[l], 'linear'), gs, torch.arange(len(x))[None])[0])
        row['self'] = float(t.self_stir.iloc[0])
        for meas, pre in (('forgetting', 'F'), ('cka_divergence', 'D')):
            for _, r in t[t.measure == meas].iterrows():
                col = short_change(r.change, l)
                if col is not None:
                    row[f'{pre}_{col}'] = r.value
                    row[f'{pre}_{col}_det'] = r.detected
        rows.append(row)
    return pd.DataFrame(rows)


def blocks(t: pd.DataFrame) -> pd.DataFrame:
    "The rows of block layers (not a pooled ':in' layer)."
    return t[~t.layer.str.endswith(':in')]


def probe_summary(long: pd.DataFrame, probes: list[Probe], layers) -> pd.DataFrame:
    "Per probe: cost, median ρ and ρ_stem, identical copy's max |forgetting|, how many changes it detects."
    rows = []
    for p in probes:
        t = long[(long.probe == p.name) & (long.measure == 'forgetting')]
        own = t[t.change == 're-init ' + t.layer]
        det = lambda c: f"{int(t[t.change == c].detected.sum())}/{len(layers)}"
        d = long[(long.probe == p.name) & (long.measure == 'cka_divergence')]
        div = d[d.change == 're-init ' + d.layer]
        rows.append(dict(probe=p.name, seconds=p.seconds, rho=float(torch.cat(list(p.rho.values())).median()),
                         rho_stem=float(torch.cat(list(p.rho_stem.values())).median()),
                         identical_max_abs=float(t[t.change == 'identical copy'][['value', 'ci_low', 'ci_high']]
                                                 .abs().max().max()),
                         floor_det=det('stem floor'), stem_det=det('stem re-init'),
                         block_det=f'{int(own.detected.sum())}/{len(own)}', random_det=det('random init'),
                         F_block_mean=own.value.mean(), D_block_mean=div.value.mean(),
                         F_floor_blocks=blocks(t[t.change == 'stem floor']).value.mean(),
                         F_stem_blocks=blocks(t[t.change == 'stem re-init']).value.mean()))
    return pd.DataFrame(rows)


def sweep_table(tables: dict[str, pd.DataFrame], probes: list[Probe]) -> pd.DataFrame:
    "Step budget × layer: ρ, ρ_stem, the self term, the stem alone's STIR, forgetting of stem and block changes."
    cols = ['layer', 'rho', 'rho_stem', 'stir_stem', 'self', 'F_floor', 'F_floor_det', 'F_stem', 'F_block',
            'F_block_det']
    parts = []
    for p in probes:
        t = tables[p.name]
        parts.append(t[[c for c in cols if c in t]].assign(steps=int(p.name.split()[-1]), seconds=p.seconds))
    return pd.concat(parts, ignore_index=True)


def probes_table(tables: dict[str, pd.DataFrame], probes: list[Probe]) -> pd.DataFrame:
    "Probe × layer: ρ, ρ_stem, self term and forgetting (with detection) of every planted change."
    cols = ['layer', 'rho', 'rho_stem', 'self', 'F_ident', 'F_floor', 'F_floor_det', 'F_stem', 'F_stem_det',
            'F_block', 'F_block_det', 'F_random', 'F_random_det']
    return pd.concat([tables[p.name][[c for c in cols if c in tables[p.name]]].assign(probe=p.name)
                      for p in probes], ignore_index=True)


def make_probes(model, x, layers, stem, a, kinds: list[str]) -> tuple[list[Probe], list[Probe]]:
    "The step sweep of the reference inversion, then the alternative probes in `kinds`, each timed."
    sweep, alt, main = [], [], max(a.steps)
    for s in a.steps:
        with stage(f'inversion noise {s} steps'):
            sweep.append(reference_probe(model, x, layers, stem, s))
    with stage(f'inversion noise {main} steps, seed set 1 (seed-to-seed null)'):
        alt.append(reference_probe(model, x, layers, stem, main, r=1))
    if 'images' in kinds:
        with stage(f'inversion images {main} steps'):
            alt.append(reference_probe(model, x, layers, stem, main, seed='images'))
    for lam in (a.lambdas if 'repel' in kinds else []):
        with stage(f'repel λ={lam:g} c={a.cap:g} {main} steps'):
            alt.append(own_probe(f'repel {lam:g}', 'pixels', repel_layer, model, x, layers, stem, lam=lam,
                                 cap=a.cap, steps=main))
    if 'tokens' in kinds:
        with stage(f'token-space inversion {main} steps'):
            alt.append(own_probe(f'tokens {main}', 'tokens', token_layer, model, x, layers, stem, steps=main))
    return sweep, alt


def run_model(label: str, model: nn.Module, x: Tensor, layers: list[str], a, kinds: list[str]) -> dict:
    "Every table of one model."
    print(f'\n== {label}: layers {layers}', flush=True)
    all_layers = auto_layers(model)
    stem, n = f'{all_layers[0]}:in', len(x)
    idx = [torch.arange(n)[None], half_samples(n, n_boot=a.boot, seed=0)]
    with stage(f'{label}: planted changes'):
        ts = targets(model, x, all_layers, layers, stem)
    sweep, alt = make_probes(model, x, layers, stem, a, kinds)
    with stage(f'{label}: scoring'):
        long = pd.DataFrame([r for p in sweep + alt for r in score_probe(p, ts, layers, stem, idx, n)])
        tables = {p.name: layer_table(long, p, model, x, layers, stem) for p in sweep + alt}
    ident = long[(long.change == 'identical copy') & (long.measure == 'forgetting')]
    worst = float(ident[['value', 'ci_low', 'ci_high']].abs().max().max())
    assert worst == 0.0, f'identical copy forgetting is not exactly 0: {worst}'
    main, r1 = sweep[-1], tables[alt[0].name]
    lt = tables[main.name].assign(self_r1=r1['self'].values, seed_gap=tables[main.name]['self'] - r1['self'].values)
    return dict(layers=lt.assign(model=label, probe=main.name),
                steps=sweep_table(tables, sweep).assign(model=label),
                probes=probes_table(tables, sweep[-1:] + alt).assign(model=label),
                summary=probe_summary(long, sweep + alt, layers).assign(model=label),
                long=long.assign(model=label))


def parse(argv=None):
    "Command-line options (--quick shrinks everything)."
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help='16 images, 25/50 steps, one λ, no trained ResNet')
    p.add_argument('--models', default='vit,resnet,resnet_trained')
    p.add_argument('--pt', default=PT_VIT, help='the pretrained ViT (any invflow.zoo spec)')
    p.add_argument('--n', type=int, default=48)
    p.add_argument('--steps', default='50,100,200', help='step budgets of the reference inversion (the last: main)')
    p.add_argument('--resnet-steps', default='50,150')
    p.add_argument('--resnet-layers', default='layer1.0,layer2.0,layer3.0,layer4.0')
    p.add_argument('--resnet-train-steps', type=int, default=300)
    p.add_argument('--lambdas', default='0.1,0.3,1')
    p.add_argument('--cap', type=float, default=0.5, help='c: the push on ρ_stem stops there')
    p.add_argument('--boot', type=int, default=100, help='half-samples')
    a = p.parse_args(argv)
    if a.quick:
        a.n, a.steps, a.resnet_steps, a.lambdas, a.boot = 16, '25,50', '25', '0.3', 50
        a.resnet_layers, a.models = 'layer1.0,layer3.0', a.models.replace(',resnet_trained', '')
    a.steps, a.resnet_steps = [int(s) for s in a.steps.split(',')], [int(s) for s in a.resnet_steps.split(',')]
    a.lambdas, a.models = [float(s) for s in a.lambdas.split(',')], a.models.split(',')
    return a


def models(a, data) -> list[tuple]:
    "`(label, model, layers, probe kinds, steps)` of each model asked for."
    out = []
    if 'vit' in a.models:
        pt = load_model(a.pt)
        out.append(('vit_t32 pretrained', pt, auto_layers(pt), ['images', 'repel', 'tokens'], a.steps))
    rl = a.resnet_layers.split(',')
    if 'resnet' in a.models:
        out.append(('resnet18 random', resnet(0), rl, ['images', 'repel', 'tokens'], a.resnet_steps))
    if 'resnet_trained' in a.models:
        with stage(f'train resnet18 {a.resnet_train_steps} steps'):
            m, acc = train_resnet(data[2], data[1], a.resnet_train_steps)
        print(f'  trained resnet18: task-B test accuracy {acc:.3f} (chance 0.100)')
        out.append((f'resnet18 trained (acc {acc:.2f})', m, rl, ['images', 'repel', 'tokens'], a.resnet_steps))
    return out


SHOWN = {'layers': ['layer', 'rho', 'rho_stem', 'stir_stem', 'cka_l_stem', 'self', 'seed_gap', 'F_floor', 'F_stem',
                    'F_block', 'F_random', 'D_floor', 'D_stem', 'D_block', 'D_random']}


def show(name: str, df: pd.DataFrame):
    "Print a table, rounded."
    print(f'\n--- {name}')
    print(df.round(4).to_string(index=False))


def main(argv=None):
    a = parse(argv)
    torch.set_num_threads(1)
    warnings.simplefilter('ignore')
    with stage('data'):
        data = study_images(a.n)
    x, results = data[0], []
    tag = 'stir_blind_spot_quick' if a.quick else 'stir_blind_spot'
    RESULTS.mkdir(parents=True, exist_ok=True)
    for label, m, layers, kinds, steps in models(a, data):
        results.append(run_model(label, m, x, layers, argparse.Namespace(**{**vars(a), 'steps': steps}), kinds))
        out = {k: pd.concat([r[k] for r in results], ignore_index=True) for k in results[0]}
        for k, df in out.items():
            df.to_csv(RESULTS / f'{tag}_{k}.csv', index=False)
    for k in ('layers', 'steps', 'probes', 'summary'):
        for label, df in out[k].groupby('model', sort=False):
            show(f'{k} — {label}', df[[c for c in df if c in SHOWN[k]]] if k in SHOWN else df.drop(columns='model'))
    show('stage times (s)', pd.DataFrame(dict(stage=list(TIMES), seconds=list(TIMES.values()))))
    print('\ncommand:', shlex.join(sys.orig_argv), f'\nwritten: {RESULTS}/{tag}_*.csv')


if __name__ == '__main__':
    main()
