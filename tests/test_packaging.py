"""The release path as a user meets it: build the sdist and the wheel, check them, install the wheel outside the
checkout (no editable install, no nbs/ on the path) and run the command line from there."""
import os, shutil, subprocess, sys, sysconfig, tarfile, zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope='module')
def dist(tmp_path_factory):
    # `python -m build` builds the wheel from the unpacked sdist, so the sdist must hold everything the wheel needs
    out = tmp_path_factory.mktemp('dist')
    run([sys.executable, '-m', 'build', '--no-isolation', '--outdir', out, ROOT])
    (sdist,), (wheel,) = out.glob('invflow-*.tar.gz'), out.glob('invflow-*.whl')
    return sdist, wheel


def test_build_and_twine_check(dist):
    import invflow
    sdist, wheel = dist
    assert f'-{invflow.__version__}' in wheel.name and f'-{invflow.__version__}.' in sdist.name
    run([sys.executable, '-m', 'twine', 'check', '--strict', sdist, wheel])
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith('.dist-info/licenses/LICENSE') for n in names)
    assert 'invflow/cli.py' in names and 'invflow/study.py' in names
    assert not any(n.startswith(('nbs/', 'tests/', 'runs/')) for n in names)
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith('.dist-info/METADATA'))).decode()
    for extra in ('hf', 'docs', 'bench', 'dev'): assert f'Provides-Extra: {extra}' in meta
    assert 'transformers' not in meta.split('Provides-Extra')[0]          # the core install stays lean
    with tarfile.open(sdist) as t: members = {m.split('/', 1)[1] for m in t.getnames() if '/' in m}
    assert {'pyproject.toml', 'README.md', 'LICENSE', 'invflow/__init__.py'} <= members


def test_wheel_installed_outside_the_checkout(dist, tmp_path, quick_run):
    """A fresh environment with the wheel installed (its dependencies read from this one's site-packages, offline):
    its `invflow demo --quick` resumes a copy of the session's finished quick run (every stage read back through the
    wheel's own code) and writes the report again — the quick run itself is tested in test_demo, once per session."""
    _, wheel = dist
    env = tmp_path / 'env'
    run([sys.executable, '-m', 'venv', '--without-pip', env])
    py = env / 'bin' / 'python'
    site = run([py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']).stdout.strip()
    clean = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'IN_TEST')}
    # the wheel first, then the dependencies' path: through it (or a PYTHONPATH) pip would see the checkout's invflow
    run([sys.executable, '-m', 'pip', '--python', py, 'install', '-q', '--no-deps', '--no-index', '--ignore-installed',
         wheel], env=clean)
    Path(site, 'deps.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    where = run([py, '-c', 'import invflow; print(invflow.__file__)'], cwd=tmp_path, env=clean).stdout.strip()
    assert Path(where).is_relative_to(env), where                       # not the checkout's (editable) package
    assert 'usage: invflow' in run([env / 'bin' / 'invflow', '--help'], cwd=tmp_path, env=clean).stdout
    shutil.copytree(quick_run[0], tmp_path / 'run')
    (tmp_path / 'run' / 'report.html').unlink()
    out = run([env / 'bin' / 'invflow', 'demo', '--quick', '--quiet', '--run-dir', tmp_path / 'run'], cwd=tmp_path,
              env=clean).stdout
    assert 'done in' in out and (tmp_path / 'run' / 'report.html').exists()


def test_release_tag_must_match_the_version():
    import invflow
    check = [sys.executable, ROOT / '.github' / 'check_tag.py']
    run(check + [f'v{invflow.__version__}'])
    r = subprocess.run([str(c) for c in check + ['v9.9.9']], capture_output=True, text=True)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert f'invflow.__version__ is {invflow.__version__}' in r.stderr
