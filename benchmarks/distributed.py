"""invflow under torchrun: the same `invflow analyze` at 1 and at 2 processes, side by side in one run, the results
compared; bf16 autocast's effect on speed and ρ where a GPU is present; the paper preset's cost estimated from
measured per-step inversion times.

    .venv/bin/python benchmarks/distributed.py [--n 64] [--steps 100] [--batch-size 16] [--procs 1,2]

1. Two `vit_t32` checkpoints (6 blocks, width 64, 32 × 32) stand in for a pretrained/finetuned pair; the whole
   analysis (2 × 7 inversions, STIR both ways, CKA) runs as `python -m invflow analyze` alone and as
   `torchrun --nproc_per_node N -m invflow analyze`, wall time including start-up, on the same data and settings.
   Printed: each wall time, the speed-up, and the largest difference between the result matrices.
2. The paper preset (ViT-B/32 at 224, 500 images, 500 reference steps, 13 layers): per-step inversion time measured
   for blocks.0, blocks.5 and head:in (float32, and bf16 autocast on a GPU), interpolated over the 13 layers, and
   multiplied out to one pretrained/finetuned analysis (2 × 13 inversions) and to a 20-epoch dynamics run
   (13 + 20 × 13 inversions).
3. On a GPU: the median and largest ρ of finished inversions (Adam, 200 steps) with and without bf16 autocast.
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import torch


def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def analyze_run(nproc, pt, ft, out, a):
    args = ['analyze', '--pt', str(pt), '--ft', str(ft), '--data', 'transforms2d:hue', '--n-images', str(a.n),
            '--steps', str(a.steps), '--batch-size', str(a.batch_size), '--quiet', '--out', str(out)]
    if nproc == 1: cmd = [sys.executable, '-m', 'invflow', *args]
    else: cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(nproc), '--master_addr',
                 '127.0.0.1',
                 '--master_port', str(free_port()), '-m', 'invflow', *args]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if r.returncode: sys.exit(f"{' '.join(cmd[:6])}… failed:\n{r.stderr[-3000:]}")
    return secs, json.loads((out / 'results' / 'analysis_finetuned.json').read_text())


def step_time(model, layer, x, steps, autocast):
    from invflow.capture import StackTap
    from invflow.invert import InvertConfig, invert_stacked, frozen, seed_images
    cfg = InvertConfig(optimizer='reference', steps=steps, autocast=autocast)
    with frozen(model), StackTap(model, [layer]) as tap:
        invert_stacked(tap, x, seed_images(x).to(x.device), InvertConfig(optimizer='reference', steps=1,
                                                                         autocast=autocast))
        if x.is_cuda: torch.cuda.synchronize()
        t0 = time.perf_counter()
        rho = invert_stacked(tap, x, seed_images(x).to(x.device), cfg)[layer][1]
        if x.is_cuda: torch.cuda.synchronize()
    return (time.perf_counter() - t0) / (steps + 1) / len(x), float(rho.median())


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--n', type=int, default=64); p.add_argument('--steps', type=int, default=100)
    p.add_argument('--batch-size', type=int, default=16); p.add_argument('--procs', default='1,2')
    p.add_argument('--paper-steps', type=int, default=0,
                   help='steps timed per layer for the estimate (default: 3 CPU, 20 GPU)')
    a = p.parse_args()
    from invflow.models import make_vit
    from safetensors.torch import save_file
    gpu = torch.cuda.is_available()
    print(f"device: {torch.cuda.get_device_name() if gpu else 'CPU'}, {os.cpu_count()} CPU cores, torch {torch.__version__}")

    # 1. the same analysis at 1 and N processes
    tmp = Path(tempfile.mkdtemp())
    for name, seed in (('pt', 0), ('ft', 1)): save_file(make_vit('vit_t32', seed=seed).state_dict(),
                                                        tmp / f'{name}.safetensors')
    print(f"\n1. invflow analyze, vit_t32 pair, n = {a.n}, {a.steps} steps, batches of {a.batch_size} "
          f"({2 * 7 * -(-a.n // a.batch_size)} inversion jobs), {'GPU' if gpu else 'CPU'}")
    res = {}
    for k in [int(v) for v in a.procs.split(',') if v]:
        secs, out = analyze_run(k, tmp / 'pt.safetensors', tmp / 'ft.safetensors', tmp / f'run{k}', a)
        res[k] = (secs, out)
    base_t, base = res[min(res)] if res else (None, None)
    for k, (secs, out) in res.items():
        diff = max(float(np.nanmax(np.abs(np.array(m, float) - np.array(base['matrices'][n], float)))) for n,
                   m in out['matrices'].items())
        print(f"  {k} process{'es' if k > 1 else '  '}: {secs:7.1f} s   speed-up {base_t / secs:4.2f}×   "
              f"max |Δ| vs 1 process {diff:.1e}   median ρ pt {out['provenance']['median_rho_pt']:.2e}")
    shutil.rmtree(tmp)

    # 2. paper preset estimate from measured per-step times
    dev = torch.device('cuda' if gpu else 'cpu')
    m = make_vit('vit_b32', n_classes=10).to(dev).eval()
    steps = a.paper_steps or (20 if gpu else 3)
    b = 64 if gpu else 8
    x = torch.rand(b, 3, 224, 224, generator=torch.Generator().manual_seed(0)).to(dev)
    modes = [None, 'bf16'] if gpu else [None]
    print(f"\n2. paper preset (ViT-B/32, 224 × 224, reference optimiser): per-step inversion time, batch {b}, {steps} timed steps")
    depth = {'blocks.0': 1, 'blocks.5': 6, 'head:in': 12}
    per = {}
    for mode in modes:
        for layer in depth:
            per[(mode, layer)] = step_time(m, layer, x, steps, mode)
            t, rho = per[(mode, layer)]
            print(f"  {mode or 'float32':8s} {layer:9s} {1e3 * t:8.2f} ms per image-step   median ρ after {steps} steps {rho:.3g}")
    for mode in modes:
        ts = np.interp(np.arange(1, 14), [1, 6, 12, 13], [per[(mode, 'blocks.0')][0], per[(mode, 'blocks.5')][0],
                                                         per[(mode, 'head:in')][0], per[(mode, 'head:in')][0]])
        one = 500 * 500 * float(ts.sum())          # one model's 13 inversions of 500 images × 500 steps
        print(f"  {mode or 'float32':8s} estimate: one analysis (2 models × 13 layers) {2 * one / 3600:7.2f} h;  "
              f"dynamics over 20 epochs (13 + 20 × 13 inversions) {21 * one / 3600:7.2f} h on one {'GPU' if gpu else 'CPU'}; "
              f"with N ranks ≈ that / N")
    if gpu:
        for layer in depth:
            (t32, r32), (t16, r16) = per[(None, layer)], per[('bf16', layer)]
            print(f"  bf16 autocast at {layer}: {t32 / t16:4.2f}× faster per step")
        # 3. the effect of bf16 autocast on the quality of a finished inversion (default optimiser, 200 steps)
        from invflow.invert import invert
        print(f"\n3. bf16 autocast and inversion quality: ViT-B/32, {b} images, Adam 200 steps (invflow's default), ρ in float32")
        for layer in depth:
            q = {mode: invert(m, x, layer, steps=200, batch_size=b, autocast=mode,
                              progress=False)[layer] for mode in modes}
            print(f"  {layer:9s} median ρ float32 {q[None].median_rho:.2e}, bf16 {q['bf16'].median_rho:.2e}; "
                  f"max ρ float32 {float(q[None].rho.max()):.2e}, bf16 {float(q['bf16'].rho.max()):.2e}")


if __name__ == '__main__':
    main()
