"""The tutorials' own helpers, kept out of the invflow package: which finished run a tutorial reads
(`tutorial_run`), and where that run stands against the finetuning paper (`regime`), with what produced the stored
outputs. Each tutorial imports them from this folder; their tests are in tutorial 1."""
from __future__ import annotations
import os, tempfile, time
from pathlib import Path

import pandas as pd

from invflow.models import make_vit
from invflow.study import DEMO, QUICK, _read_config, _robustness_runs, run_study


def tutorial_run(default: str | Path = '../../runs/study', # the default study's folder (`make study` writes it)
                 demo: str | Path = '../../runs/demo', # the demo's (`make demo`), read or run when `default` has none
                ) -> Path:
    "The finished run the tutorials read: the default study, else the demo (reused, or run); quick under nbdev-test."
    if os.environ.get('IN_TEST'):   # nbdev-test: toy sizes, shared by the tutorials through $INVFLOW_TUTORIAL_RUN
        shared = os.environ.get('INVFLOW_TUTORIAL_RUN') or tempfile.mkdtemp(prefix='invflow-tutorial-')
        run, cfg = Path(shared), QUICK
    else:
        study = Path(default)
        run = Path(os.environ.get('INVFLOW_RUN') or (study if (study / 'study.json').exists() else demo))
        cfg = _read_config(run) if (run / 'study.json').exists() else DEMO
    run_study(run, config=cfg, progress=False, log=lambda s: None)
    return run


def _commit() -> str:
    "The checkout's commit as `git describe --always --dirty` names it, or why there is none."
    import subprocess
    try:
        out = subprocess.run(['git', 'describe', '--always', '--dirty'], cwd=Path(__file__).parent, text=True,
                             capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError): return 'unknown (git not available)'
    return out.stdout.strip() if out.returncode == 0 else 'unknown (not a git checkout)'


def _produced(run) -> list[tuple]:
    "Rows for `regime`: when the run's results were written; what read them, and when."
    import datetime, invflow
    stamp = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    written = stamp((Path(run['run']) / 'results' / 'summary.csv').stat().st_mtime)
    return [('results written', written, '—'),
            ('executed with', f"invflow {invflow.__version__}, commit {_commit()}, {stamp(time.time())}", '—')]


def regime(run) -> pd.DataFrame:
    "Where the study stands against the finetuning paper: model, data, accuracies and the measurement's budget."
    cfg, s = run['config'], run['summary'].set_index('pair')
    m = run['models']['pretrained'] if 'models' in run else make_vit('vit_t32', n_classes=cfg.classes_a)
    n_par = sum(p.numel() for p in m.parameters())
    acc = lambda p: (f"{s.loc[p].test_accuracy:.3f} [{s.loc[p].test_accuracy_ci_low:.3f}, "
                     f"{s.loc[p].test_accuracy_ci_high:.3f}] over {s.loc[p].seeds} seeds")
    rows = [('model', f"vit_t32: {len(m.blocks)} blocks, width {m.embed_dim}, {n_par / 1e6:.2f} M parameters, 32 px",
             'ViT-B/32: 12 blocks, width 768, ≈ 88 M parameters, 224 px'),
            ('pretraining data', f"Transforms-2D task A: {cfg.n_train_a:,} images, {cfg.classes_a} objects",
             'ImageNet classification (the timm ViT-B/32 weights, Wightman 2019)'),
            ('finetuning data',
             f"task B: {cfg.n_train_b:,} images, {cfg.classes_b} objects, {cfg.finetune_epochs} epochs",
             'CIFAR-10: 50,000 images'),
            ('finetuned test accuracy', acc('pretrained → finetuned (classification)'),
             '0.97 (ImageNet → CIFAR-10)'),
            ('from-scratch test accuracy', acc('pretrained → from scratch'), '0.98 (CIFAR-10 from scratch)'),
            ('images for STIR and CKA', f"{cfg.n_analysis}", '500'),
            ('inversion steps', f"{cfg.inversion_steps}", '500'),
            ('inversion seed sets per analysis', f"{cfg.inversion_seeds} for the pairs' analyses (dynamics and "
             "robustness runs: 1)", 'several, averaged (SPEC §4); the STIR code: 1'),
            ('finetuning runs for the robustness study', f"{len(_robustness_runs(cfg))}: learning rates "
             f"{', '.join(f'{lr:g}' for lr in dict.fromkeys(lr for lr, _ in _robustness_runs(cfg)))}",
             'one run, ≈ 50–85 checkpoints (from its p-values)'),
            ('largest median inversion ρ of a pair', f"{s.median_rho.max():.3f}", 'not reported'), *_produced(run)]
    return pd.DataFrame(rows, columns=['', 'this study', 'the finetuning paper'])
