"""invflow under torchrun: two gloo processes on the CPU reproduce the single-process results (Python API and the
`invflow analyze` command), and a failing rank ends the run with its error on every rank."""
import json, os, socket, subprocess, sys
from pathlib import Path

import numpy as np
import pytest
import torch

HERE = Path(__file__).parent
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')   # torchrun's default per process; the same alone


def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def torchrun(n, *args, env=None):
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(n), '--master_addr', '127.0.0.1',
           '--master_port', str(free_port()), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env or ENV)


def alone(*args, env=None):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, env=env or ENV)


def test_python_api_two_processes_equal_one(tmp_path):
    r1 = alone(str(HERE / 'dist_worker.py'), str(tmp_path / 'one.pt'))
    assert r1.returncode == 0, r1.stderr[-3000:]
    r2 = torchrun(2, str(HERE / 'dist_worker.py'), str(tmp_path / 'two.pt'))
    assert r2.returncode == 0, r2.stderr[-3000:]
    one, two = torch.load(tmp_path / 'one.pt', weights_only=True), torch.load(tmp_path / 'two.pt', weights_only=True)
    assert one.keys() == two.keys()
    assert torch.equal(one['capture'], two['capture'])                      # the same batches, gathered in order
    for k in ('cka_minibatch', 'cka_full', 'linear_cka_streamed'):
        assert (one[k] - two[k]).abs().max() < 1e-9, k                      # statistics summed across ranks
    inv = [k for k in one if k.startswith(('inv ', 'rho '))]
    assert len(inv) == 14
    for k in inv: assert torch.equal(one[k], two[k]), k                     # same seeds → the same X', bit for bit


def test_failing_rank_stops_every_rank(tmp_path):
    r = torchrun(2, str(HERE / 'dist_worker.py'), str(tmp_path / 'x.pt'), env=dict(ENV, FAIL_RANK='1'))
    assert r.returncode != 0 and not (tmp_path / 'x.pt').exists()
    msg = 'rank 1 of 2 failed: RuntimeError: simulated failure in a forward pass of rank 1'
    assert r.stderr.count(msg) >= 2, r.stderr[-3000:]                       # raised on rank 0 and on rank 1


def test_cli_analyze_under_torchrun(tmp_path):
    from invflow.models import make_vit
    from safetensors.torch import save_file
    for name, seed in (('pt', 0), ('ft', 1)):
        save_file(make_vit('vit_t32', seed=seed).state_dict(), tmp_path / f'{name}.safetensors')
    args = ['analyze', '--pt', str(tmp_path / 'pt.safetensors'), '--ft', str(tmp_path / 'ft.safetensors'),
            '--data', 'transforms2d:hue', '--n-images', '12', '--steps', '15', '--batch-size', '4', '--quiet']
    layers = ['--layers', 'blocks.0,blocks.5,head:in']               # first, last and pooled: every kind of layer
    r1 = alone('-m', 'invflow', *args, *layers, '--out', str(tmp_path / 'one'))
    assert r1.returncode == 0, r1.stderr[-3000:]
    r2 = torchrun(2, '-m', 'invflow', *args, *layers, '--out', str(tmp_path / 'two'))
    assert r2.returncode == 0, r2.stderr[-3000:]
    assert r2.stdout.count('report:') == 1                                  # rank 0 alone prints and writes
    a1, a2 = (json.loads((tmp_path / d / 'results' / 'analysis_finetuned.json').read_text()) for d in ('one', 'two'))
    assert a1['layers'] == a2['layers']
    for k, m in a1['matrices'].items():
        np.testing.assert_allclose(np.array(m, dtype=float), np.array(a2['matrices'][k], dtype=float), rtol=0,
                                   atol=1e-9, err_msg=k)
    c1 = sorted(p.relative_to(tmp_path / 'one') for p in (tmp_path / 'one' / 'cache').rglob('*.safetensors'))
    c2 = sorted(p.relative_to(tmp_path / 'two') for p in (tmp_path / 'two' / 'cache').rglob('*.safetensors'))
    # the shared cache: every (model, layer, batch) once, and each model again at ¼ and ½ of the steps (the curves:
    # pt's for forgetting, ft's for learning) — 2 models × 3 budgets × 3 layers × 3 batches
    assert c1 == c2 and len(c1) == (3 + 3) * 3 * 3
    bad = torchrun(2, '-m', 'invflow', *args, '--layers', 'blocks.0,blocks.99', '--out', str(tmp_path / 'bad'))
    assert bad.returncode != 0 and "unknown layer 'blocks.99'" in bad.stderr
    demo = torchrun(2, '-m', 'invflow', 'demo', '--quick', '--run-dir', str(tmp_path / 'demo'))
    assert demo.returncode != 0 and 'trains its models in one process' in demo.stderr
