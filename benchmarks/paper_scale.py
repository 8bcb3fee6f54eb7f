"""The finetuning paper's analysis at its own scale: ViT-B/32 at 224 × 224, 500 images, 13 layers, both models —
every stage timed, the achieved TFLOP/s against matmul peaks measured in the same run, the median ρ reached against
the reference procedure's, and the same analysis under torchrun compared with one process.

    .venv/bin/python benchmarks/paper_scale.py                 # the paper's scale (meant for a GPU)
    .venv/bin/python benchmarks/paper_scale.py --ranks 1,2     # … and under torchrun on 2 ranks, results compared
    .venv/bin/python benchmarks/paper_scale.py --tiny          # any machine: vit_t32 at 32 px, 32 images (2 min)

Models: two random-initialised ViT-B/32 (`invflow.models.make_vit`, timm's architecture); the "finetuned" one is a
perturbed copy of the pretrained one. Weights do not change the cost. Images: the synthetic `transforms2d` set.

1. Matmul peaks of 8192² products (4096² on a CPU or with --tiny): float32 (TF32 off), TF32 and bf16 on a GPU;
   float32 on a CPU.
2. Reference quality: the reference procedure (normalised-gradient step α = 0.5, `--ref-steps` steps, best iterate;
   `invflow.invert` with optimizer='reference' stops at the layer, which changes no number) on `--ref-images` images
   at three layers of the pretrained model (first block, middle block, pooled).
3. invflow's analysis, as `invflow analyze --preset paper` computes it, in a fresh process per entry of `--ranks`
   (`torchrun --nproc_per_node R` for R > 1): Adam, bf16 autocast on a GPU (ρ re-measured in float32), every layer
   of a batch stacked in one pass, each sample stopped once its ρ is at or below the reference's median ρ
   (`--target-rho`, default: the smallest of step 2's medians): inversions of pt, of ft, then STIR + CKA (+ the
   bootstrap) — each stage timed inside the process, after the models are built and on the device.

Printed: the stage times of each run against the 10-minute target, the matmul FLOPs of the inversions (counted per
image-step with torch's FlopCounterMode, times the steps each sample ran; the scoring-only passes are left out, so
the rate is a lower bound) and the achieved TFLOP/s against each peak, the median ρ per layer against the
reference's, and the largest difference between the results of the runs with different numbers of ranks.
"""
import argparse, copy, json, os, socket, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.flop_counter import FlopCounterMode

from invflow.capture import StackTap, vit_layers
from invflow.invert import InvertConfig, frozen, invert
from invflow.models import make_vit
from invflow.transforms2d import Transforms2D


def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize()


def timed(dev, fn):
    "fn's result and its wall time, the device drained before and after."
    sync(dev)
    t0 = time.perf_counter()
    out = fn()
    sync(dev)
    return out, time.perf_counter() - t0


def peak(dev, dtype, size, tf32=False):
    "FLOP/s of a size² matrix product in `dtype`."
    if dev.type == 'cuda': torch.backends.cuda.matmul.allow_tf32 = tf32
    a, b = torch.randn(size, size, device=dev, dtype=dtype), torch.randn(size, size, device=dev, dtype=dtype)
    a @ b
    reps = 20 if dev.type == 'cuda' else 3
    _, secs = timed(dev, lambda: [a @ b for _ in range(reps)])
    return reps * 2 * size ** 3 / secs


def peaks(dev, a) -> dict:
    "The matmul peaks this run compares with."
    size = 4096 if a.tiny or dev.type == 'cpu' else 8192
    out = {'fp32': peak(dev, torch.float32, size)}
    if dev.type == 'cuda':
        out['tf32'] = peak(dev, torch.float32, size, tf32=True)
        out['bf16'] = peak(dev, torch.bfloat16, size)
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
    return out


def scale(a) -> tuple[str, int, int, int]:
    "Preset, image side, images analysed, images of the reference-quality run."
    preset, size = ('vit_t32', 32) if a.tiny else ('vit_b32', 224)
    return preset, size, a.n or (32 if a.tiny else 500), a.ref_images or (8 if a.tiny else 64)


def make_pair(preset, dev, noise=0.3):
    "A random-initialised model and a perturbed copy of it, on `dev`."
    pt = make_vit(preset, seed=0).to(dev).eval()
    ft = copy.deepcopy(pt)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in ft.parameters():
            if p.numel() > 1: p.add_((noise * p.std().cpu() * torch.randn(p.shape, generator=g)).to(dev))
    return pt, ft


def images(size, n):
    return Transforms2D(['hue'], n=n, split='test', size=size, seed=0).tensors()[0]


def autocast(a, dev):
    if a.autocast == 'auto': return 'bf16' if dev.type == 'cuda' else None
    return None if a.autocast == 'none' else a.autocast


def step_flops(model, layer, x1):
    "Matmul FLOPs of one inversion step (forward to the layer and backward to the input) for one image."
    with frozen(model), StackTap(model, [layer]) as tap:
        xi = x1.clone().requires_grad_()
        with FlopCounterMode(display=False) as fc: tap(xi)[layer].pow(2).sum().backward()
    return fc.get_total_flops()


def reference_quality(pt, x, layers, a, dev):
    "Median ρ of the reference procedure at three layers, and its time."
    probe = [layers[0], layers[len(layers) // 2 - 1], layers[-1]]
    cfg = InvertConfig(optimizer='reference', steps=a.ref_steps, batch_size=len(x))
    ref, secs = timed(dev, lambda: invert(pt, x.to(dev), probe, config=cfg, progress=False))
    return {l: ref[l].median_rho for l in probe}, secs


def worker(a):
    "Step 3 in this process (one rank of a torchrun group, or alone): every stage timed, the results saved by rank 0."
    from invflow.distributed import device, init_distributed, is_main
    from invflow.metrics import analyze
    from invflow.stir import invert_reference
    init_distributed()
    dev = device()
    if dev.type == 'cuda': torch.backends.cuda.matmul.allow_tf32 = a.tf32
    preset, size, n, _ = scale(a)
    pt, ft = make_pair(preset, dev)
    layers, x = vit_layers(pt), images(size, n)
    cfg = InvertConfig(steps=a.steps, target_rho=a.target_rho, batch_size=a.batch_size, stack_rows=a.stack_rows,
                       autocast=autocast(a, dev))
    inv_pt, t_pt = timed(dev, lambda: invert_reference(pt, x, layers, config=cfg, progress=is_main()))
    inv_ft, t_ft = timed(dev, lambda: invert_reference(ft, x, layers, config=cfg, progress=is_main()))
    res, t_an = timed(dev, lambda: analyze(pt, ft, x, layers, config=cfg, pt_inversions=inv_pt,
                                           ft_inversions=inv_ft, progress=False))
    if not is_main(): return
    steps = {m: {l: int(inv[(l, 0)].steps_run.sum()) for l in layers} for m, inv in (('pt', inv_pt), ('ft', inv_ft))}
    out = dict(times=dict(pt=t_pt, ft=t_ft, analyze=t_an), steps=steps, layers=layers, autocast=cfg.autocast,
               per_layer=res.per_layer.to_dict(orient='list'),
               matrices={k: m.values.tolist() for k, m in res.matrices.items()})
    Path(a.save).write_text(json.dumps(out))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_worker(ranks, a, target, folder):
    "Step 3 in a fresh process (torchrun for more than one rank): its saved results and its wall time."
    save = folder / f'ranks_{ranks}.json'
    args = [__file__, '--worker', '--save', str(save), '--target-rho', repr(target), '--steps', str(a.steps),
            '--batch-size', str(a.batch_size), '--stack-rows', str(a.stack_rows), '--autocast', a.autocast]
    args += ['--tiny'] * a.tiny + ['--tf32'] * a.tf32 + (['--n', str(a.n)] if a.n else [])
    launch = ['-m', 'torch.distributed.run', '--nproc_per_node', str(ranks), '--master_addr', '127.0.0.1',
              '--master_port', str(free_port())] if ranks > 1 else []
    threads = max(1, (os.cpu_count() or 1) // ranks)                 # the same cores in all, shared among the ranks
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, *launch, *args], env=env, stderr=subprocess.PIPE, text=True)
    if r.returncode: sys.exit(f"the analysis on {ranks} rank(s) failed:\n{r.stderr[-3000:]}")
    return json.loads(save.read_text()), time.perf_counter() - t0


def report_run(ranks, got, wall, flops, pk):
    "One run's stage table and the rate of its inversions."
    t = got['times']
    total = sum(t.values())
    met = 'met' if total <= 600 else 'not met'
    print(f"\n{ranks} rank(s), autocast {got['autocast']}: process wall time {wall:.1f} s (start-up included)\n"
          f"| stage | s |\n|---|---:|\n| invert pt ({len(got['layers'])} layers) | {t['pt']:.1f} |\n"
          f"| invert ft ({len(got['layers'])} layers) | {t['ft']:.1f} |\n"
          f"| STIR + CKA + bootstrap (analyze) | {t['analyze']:.1f} |\n"
          f"| **total** | **{total:.1f}** ({total / 60:.2f} min; target ≤ 10 min: {met}) |")
    work = sum(flops[l] * s for m in got['steps'].values() for l, s in m.items())
    rate = work / (t['pt'] + t['ft'])
    n_steps = [s for m in got['steps'].values() for s in m.values()]
    print(f"inversions: {work / 1e12:.1f} TFLOP of matmuls in {t['pt'] + t['ft']:.1f} s = {rate / 1e12:.2f} TFLOP/s; "
          + ', '.join(f'{rate / v:.1%} of the {k} peak' for k, v in pk.items())
          + f"; image-steps run: {sum(n_steps):,}")


def report_quality(got, ref_rho, ref_steps):
    "The median ρ reached, per layer, against the reference procedure's."
    pl = {k: dict(zip(got['per_layer']['layer'], v)) for k, v in got['per_layer'].items()}
    pt_rho, ft_rho = pl['median_rho_pt'], pl['median_rho_ft']
    worse = [l for l in ref_rho if max(pt_rho[l], ft_rho[l]) > ref_rho[l]]
    verdict = 'no worse than the reference at every layer compared' if not worse else f'WORSE at {worse}'
    print(f"median ρ (float32) over layers: pt {np.median(list(pt_rho.values())):.3g}, "
          f"ft {np.median(list(ft_rho.values())):.3g}; at the reference's layers ({ref_steps} reference steps): "
          + ', '.join(f'{l} pt {pt_rho[l]:.3g} / ft {ft_rho[l]:.3g} (reference {r:.3g})' for l, r in ref_rho.items())
          + f" → {verdict}")


def compare_runs(runs):
    "The largest difference between each run's results and the first run's."
    (r0, (first, _)), rest = next(iter(runs.items())), list(runs.items())[1:]
    for r, (got, _) in rest:
        d = max(float(np.nanmax(np.abs(np.array(got['matrices'][k], float) - np.array(m, float))))
                for k, m in first['matrices'].items())
        print(f"{r} ranks against {r0}: largest |difference| over the {len(first['matrices'])} result matrices {d:.2g}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--tiny', action='store_true', help='vit_t32 at 32 px, 32 images: a smoke run for any machine')
    p.add_argument('--n', type=int, default=None, help='images (default 500; 32 with --tiny)')
    p.add_argument('--steps', type=int, default=500, help='the most Adam steps per sample')
    p.add_argument('--ref-steps', type=int, default=500)
    p.add_argument('--ref-images', type=int, default=None, help='images of the reference-quality run (64; 8 tiny)')
    p.add_argument('--target-rho', type=float, default=None, help="early stop (default: the reference's smallest ρ)")
    p.add_argument('--batch-size', type=int, default=None, help='images per batch (default 256; 16 with --tiny)')
    p.add_argument('--stack-rows', type=int, default=4096)
    p.add_argument('--autocast', default='auto', choices=['auto', 'bf16', 'none'], help='auto: bf16 on a GPU only')
    p.add_argument('--tf32', action='store_true', help='TF32 matmuls for the float32 parts (GPU)')
    p.add_argument('--ranks', default='1', help='numbers of ranks to run the analysis on, e.g. 1,2')
    p.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--save', default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    a.batch_size = a.batch_size or (16 if a.tiny else 256)
    if a.worker: return worker(a)
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    preset, size, n, n_ref = scale(a)
    name = torch.cuda.get_device_name() if dev.type == 'cuda' else f'CPU, {torch.get_num_threads()} threads'
    print(f"# {name}; torch {torch.__version__}; {preset} at {size} px, n = {n}")
    pk = peaks(dev, a)
    print('matmul peaks: ' + ', '.join(f'{k} {v / 1e12:.2f} TFLOP/s' for k, v in pk.items()))
    pt, _ = make_pair(preset, dev)
    layers, x = vit_layers(pt), images(size, n)
    flops = {l: step_flops(pt, l, x[:1].to(dev)) for l in layers}      # per image and step; ft has the same
    ref_rho, t_ref = reference_quality(pt, x[:n_ref], layers, a, dev)
    target = a.target_rho if a.target_rho is not None else min(ref_rho.values())
    print(f"reference procedure ({a.ref_steps} steps, α = 0.5) on {n_ref} images: {t_ref:.1f} s; median ρ "
          + ', '.join(f'{l} {r:.3g}' for l, r in ref_rho.items()) + f"; target ρ for invflow {target:.3g}")
    del pt
    if dev.type == 'cuda': torch.cuda.empty_cache()
    folder = Path(tempfile.mkdtemp())
    runs = {r: run_worker(r, a, target, folder) for r in map(int, a.ranks.split(','))}
    for r, (got, wall) in runs.items(): report_run(r, got, wall, flops, pk)
    report_quality(next(iter(runs.values()))[0], ref_rho, a.ref_steps)
    compare_runs(runs)
    first = pd.DataFrame(next(iter(runs.values()))[0]['per_layer'])
    cols = ['layer', 'forgetting', 'learning', 'cka_divergence', 'median_rho_pt', 'median_rho_ft']
    print('\n' + first[cols].to_string(index=False, float_format=lambda v: f'{v:.4g}'))


if __name__ == '__main__':
    main()
