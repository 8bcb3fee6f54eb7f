"""The docs site (`make docs`, built offline from the notebooks) served on 127.0.0.1 and opened in headless Chromium:
every chart on the pages drew, the API pages list the public functions, screenshots are saved.

The test builds the pages it opens: the chapters in PAGES executed, every tutorial (stored outputs) and every API page.
Every notebook already runs in `nbdev-test`; the full site (all chapters executed) is `make docs`, in its workflow."""
import re, shutil, socket, subprocess, sys, tempfile, time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / '_docs'
PAGES = ('index', '01_similarity', '20_viz', '22_report')


@pytest.fixture(scope='module')
def site():
    r = subprocess.run([sys.executable, str(ROOT / 'docs' / 'build.py'), '--pages', ','.join(PAGES)],
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    srv = subprocess.Popen([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1', '--directory',
                            str(SITE)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try: socket.create_connection(('127.0.0.1', port), timeout=0.2).close(); break
            except OSError: time.sleep(0.1)
        yield f'http://127.0.0.1:{port}'
    finally: srv.terminate(); srv.wait()


def browse(url, screenshot=None):
    exe = next((shutil.which(n) for n in ('chromium', 'chromium-browser', 'google-chrome') if shutil.which(n)), None)
    if exe is None: pytest.fail("headless Chromium is needed for the docs test; `make test` installs Debian's chromium.")
    prof = tempfile.mkdtemp()
    flags = [exe, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
             '--disable-component-update',
             '--disable-sync', '--no-first-run', f'--user-data-dir={prof}', '--virtual-time-budget=15000']
    try:
        dom = subprocess.run([*flags, '--dump-dom', url], capture_output=True, text=True, timeout=180).stdout
        if screenshot: subprocess.run([*flags, f'--screenshot={screenshot}', '--window-size=1280,1800', url],
                                      capture_output=True, timeout=180)
    finally: shutil.rmtree(prof, ignore_errors=True)
    return dom


def charts(dom):
    return [seg.split('<script')[0] for seg in re.split(r'<div class="invflow-chart[^"]*" id="vl\d+"', dom)[1:]]


def test_chapters_draw_every_chart(site):
    shots = SITE / 'screenshots'; shots.mkdir(exist_ok=True)
    total = 0
    for page in PAGES:
        dom = browse(f'{site}/{page}.html', shots / f'{page}.png')
        assert '<h1' in dom, page
        for c in charts(dom):
            assert 'chart error' not in c and '<svg' in c and 'class="marks"' in c, (page, c[:200])
            total += 1
    assert total >= 4
    assert (shots / '20_viz.png').stat().st_size > 10_000


def test_tutorials_draw_and_show_the_explorer(site):
    pages = sorted(p.stem for p in (SITE / 'tutorials').glob('[0-9]*.html'))
    assert len(pages) == 7, pages
    total = 0
    for page in pages:
        shot = SITE / 'screenshots' / f'{page}.png' if page.startswith('03_') else None
        dom = browse(f'{site}/tutorials/{page}.html', shot)
        verdicts = ('holds' in dom) or ('inconclusive' in dom)                # each ends with its findings table,
        assert verdicts and 'flips_if' in dom and '<h1' in dom, page        # every verdict with what would flip it
        for c in charts(dom):
            assert 'chart error' not in c and '<svg' in c and 'class="marks"' in c, (page, c[:200])
            total += 1
        if page.startswith('03_'):                                          # the explorer's static view
            view = dom.split('class="invflow-explorer"')[1]
            assert view.count('<td ') >= 49 and 'median ρ' in view and view.count('<img') >= 2
    assert total >= 6


def test_api_pages_list_public_functions(site):
    import invflow.similarity as sim, invflow.metrics as met
    for mod, page in ((sim, 'similarity'), (met, 'metrics')):
        dom = browse(f'{site}/api/{page}.html')
        for name in mod.__all__:
            if callable(getattr(mod, name)): assert name in dom, (page, name)
    assert 'similarity' in browse(f'{site}/index.html')
