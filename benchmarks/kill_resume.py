"""A SIGKILL in the middle of `invflow analyze`, the resume from its inversion snapshots, and an uninterrupted run.

    .venv/bin/python benchmarks/kill_resume.py [--n 48] [--steps 600] [--at 0.4] [--snapshot-every 5]

Three runs of the same command on the same inputs (a small ViT pretrained and a perturbed copy as the finetuned one,
`--n` random images), each in its own run folder:
1. uninterrupted: its wall time T;
2. killed (SIGKILL to the process group) at the first moment past `--at` · T at which an inversion snapshot is on
   disk: the kill loses at most `--snapshot-every` seconds of work;
3. the same command again in the killed run's folder: it reads the finished inversions from the cache, resumes the
   interrupted one from its snapshot, and finishes.
Printed: T, the time of the kill, the resumed run's time and its ratio to T, and whether the resumed run's
results (per-layer table and matrices) are bit for bit those of the uninterrupted run.

`tests/test_kill.py` runs the same three steps at toy sizes (correctness only; no times are asserted).
"""
import argparse, json, os, signal, subprocess, sys, tempfile, time
from pathlib import Path

import torch

INVFLOW = str(Path(sys.executable).parent / 'invflow')


def make_inputs(folder: Path, n: int) -> dict:
    "A pretrained invflow ViT, a perturbed copy as the finetuned model, and `n` images, as files."
    from invflow.models import make_vit
    pt = make_vit('vit_t32', seed=0)
    ft = make_vit('vit_t32', seed=0)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in ft.parameters():
            if p.numel() > 1: p.add_(0.3 * p.std() * torch.randn(p.shape, generator=g))
    torch.save(pt.state_dict(), folder / 'pt.pt')
    torch.save(ft.state_dict(), folder / 'ft.pt')
    torch.save({'images': torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(2))}, folder / 'x.pt')
    return dict(pt=folder / 'pt.pt', ft=folder / 'ft.pt', x=folder / 'x.pt')


def command(inputs: dict, out: Path, steps: int, every: float, layers: str | None = None) -> list[str]:
    "The `invflow analyze` command line (every layer of the family, or the comma-separated `layers`)."
    only = ['--layers', layers] if layers else []
    return [INVFLOW, 'analyze', '--pt', str(inputs['pt']), '--ft', str(inputs['ft']), '--data', str(inputs['x']),
            '--steps', str(steps), '--snapshot-every', str(every), *only, '--out', str(out), '--quiet']


def snapshots(cache: Path) -> list[Path]:
    "The inversion snapshots in a run's cache (their metadata says `snapshot`)."
    found = []
    for p in cache.glob('*/*.safetensors'):
        try:
            raw = p.read_bytes()
            meta = json.loads(raw[8:8 + int.from_bytes(raw[:8], 'little')]).get('__metadata__', {})
            if json.loads(meta.get('meta', '{}')).get('snapshot'): found.append(p)
        except (OSError, ValueError): pass                       # a file being renamed into place
    return found


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode: raise RuntimeError(r.stderr[-2000:])
    return time.perf_counter() - t0


def kill_at(cmd: list[str], out: Path, after: float, limit: float) -> float:
    "Start `cmd`, SIGKILL it once `after` seconds have passed and a snapshot is on disk; the time of the kill."
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit and p.poll() is None:
        if time.perf_counter() - t0 >= after and snapshots(out / 'cache'): break
        time.sleep(0.05)
    when = time.perf_counter() - t0
    if p.poll() is not None: raise RuntimeError(f"the run ended after {when:.1f} s, before it could be killed")
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    return when


def resumed_from(cache: Path) -> int:
    "The latest step any cached inversion of a run went on from (0: none resumed)."
    from invflow.cache import TensorCache
    c = TensorCache(cache)
    metas = [got[1] for p in cache.glob('*/*.safetensors') if (got := c.get(p.stem)) is not None]
    return max([m.get('resumed_from', 0) for m in metas], default=0)


def same_results(a: Path, b: Path) -> bool:
    "Whether two run folders hold bit-identical per-layer tables and matrices."
    ra, rb = (json.loads((d / 'results' / 'analysis_finetuned.json').read_text()) for d in (a, b))
    tables = (a / 'results' / 'per_layer.csv').read_text() == (b / 'results' / 'per_layer.csv').read_text()
    return tables and ra['matrices'] == rb['matrices'] and ra['per_layer'] == rb['per_layer']


def kill_and_resume(root: Path, n: int, steps: int, at: float, every: float, layers: str | None = None) -> dict:
    "The three runs; their times, the snapshots left at the kill, and whether the resumed results are identical."
    inputs = make_inputs(root, n)
    cmd = lambda out: command(inputs, root / out, steps, every, layers)
    whole = timed(cmd('whole'))
    killed = kill_at(cmd('killed'), root / 'killed', at * whole, 3 * whole)
    left = len(snapshots(root / 'killed' / 'cache'))
    resumed = timed(cmd('killed'))
    return dict(uninterrupted_s=whole, killed_at_s=killed, snapshots_at_kill=left, resumed_s=resumed,
                snapshots_after=len(snapshots(root / 'killed' / 'cache')),
                resumed_from=resumed_from(root / 'killed' / 'cache'),
                identical=same_results(root / 'whole', root / 'killed'))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--n', type=int, default=48)
    p.add_argument('--steps', type=int, default=600)
    p.add_argument('--at', type=float, default=0.4)
    p.add_argument('--snapshot-every', type=float, default=5.0)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        r = kill_and_resume(Path(d), a.n, a.steps, a.at, a.snapshot_every)
    print(f"uninterrupted: {r['uninterrupted_s']:.1f} s; killed at {r['killed_at_s']:.1f} s "
          f"({r['killed_at_s'] / r['uninterrupted_s']:.0%}) with {r['snapshots_at_kill']} snapshot(s) on disk")
    print(f"resumed run: {r['resumed_s']:.1f} s = {r['resumed_s'] / r['uninterrupted_s']:.2f} × uninterrupted; "
          f"killed + resumed = {(r['killed_at_s'] + r['resumed_s']) / r['uninterrupted_s']:.2f} × uninterrupted")
    print(f"the interrupted inversion went on from step {r['resumed_from']} of its snapshot")
    print(f"results bit for bit those of the uninterrupted run: {r['identical']}; "
          f"snapshots left after the resume: {r['snapshots_after']}")


if __name__ == '__main__':
    main()
