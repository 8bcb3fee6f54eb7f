"""The one quick demo the process-level tests share (`quick_run`): it costs about 95 s on 2 cores (measured in
`pytest --durations`), so it is run once per session — killed, resumed to the end — and every test that needs a
finished run reads that folder. Under `make test` it is made in `$INVFLOW_TUTORIAL_RUN`, and the notebook tests that
follow read the same run instead of making their own."""
import os, signal, subprocess, sys, time
from pathlib import Path

import pytest

INVFLOW = [str(Path(sys.executable).parent / 'invflow')]   # the console script of this environment


def run(args, **kw):
    return subprocess.run([*INVFLOW, *args], capture_output=True, text=True, timeout=600, **kw)


def _run_dir(tmp_path_factory) -> Path:
    "Where the quick run is made: `$INVFLOW_TUTORIAL_RUN` when it names a folder not made yet, else a fresh one."
    shared = os.environ.get('INVFLOW_TUTORIAL_RUN')
    if shared and not Path(shared).exists(): return Path(shared)
    return tmp_path_factory.mktemp('demo') / 'run'   # an existing run cannot be killed part way: make a new one


@pytest.fixture(scope='session')
def quick_run(tmp_path_factory):
    """One quick demo for every test here: killed (SIGKILL) once its first finetuning epoch is on disk, then run
    again to the end in the same folder — so the resume is tested on the run the other tests read."""
    d = _run_dir(tmp_path_factory)
    p = subprocess.Popen([*INVFLOW, 'demo', '--quick', '--quiet', '--run-dir', str(d)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    t0 = time.time()
    while time.time() - t0 < 300 and not list((d / 'checkpoints' / 'finetune_B_classification').glob('epoch_001.json')):
        time.sleep(0.2)
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    first = d / 'checkpoints' / 'pretrain_A' / 'epoch_001.safetensors'
    killed = dict(pretrain_exists=first.exists(), stamp=first.stat().st_mtime_ns if first.exists() else None,
                  report_before=(d / 'report.html').exists())
    r = run(['demo', '--quick', '--quiet', '--run-dir', str(d)])
    assert r.returncode == 0, r.stderr[-2000:]
    return d, r, killed
