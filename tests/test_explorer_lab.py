"""The explorer in a real front end: JupyterLab started on 127.0.0.1, a notebook that builds the `FlowExplorer`
opened in headless Chromium (Debian's chromium and chromium-driver, driven by Selenium), its cells run, its widgets
drawn — and choosing another pair, or another cell of the matrix (a pair of layers), changes what is shown, with the
pair's per-layer curves drawn (as SVG: offline, Altair's default output would fetch Vega from a CDN and fail).

What would make it fail: widgets that never render in JupyterLab (a missing front-end extension, a kernel that does
not start), a dropdown that does not reach the kernel, or a grid that does not change with the pair."""
import json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ('small change', 'large change')


def _need(what: str, found):
    if not found: pytest.fail(f"{what} is needed for the JupyterLab test; `make test` installs it (make browser, "
                              "pip install -e '.[dev]').")
    return found


def _analyses(folder: Path):
    "Two analyses of a tiny ViT against copies with small and large weight noise, saved as JSON."
    import warnings
    from invflow.invert import InvertConfig
    from invflow.metrics import InversionQualityWarning, analyze
    from invflow.models import make_vit
    pt, x = make_vit('vit_t32', depth=2), torch.rand(8, 3, 32, 32)
    for name, s in zip(PAIRS, (0.05, 1.0)):
        ft = make_vit('vit_t32', depth=2)
        with torch.no_grad():
            for p in ft.parameters(): p.add_(s * p.std() * torch.randn_like(p))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', InversionQualityWarning)      # 8 steps: the widgets, not the numbers
            a = analyze(pt, ft, x, ['blocks.0', 'blocks.1', 'head:in'], config=InvertConfig(steps=8), progress=False,
                        floor=False, rho_curve=())
        a.to_json(folder / f"{name.replace(' ', '_')}.json")


def _notebook(folder: Path):
    "The notebook a researcher would write: load the analyses, build the explorer, show its widget."
    load = ', '.join(f"{p!r}: FinetuneAnalysis.from_json({p.replace(' ', '_') + '.json'!r})" for p in PAIRS)
    src = ["from invflow.metrics import FinetuneAnalysis\nfrom invflow.explorer import FlowExplorer",
           f"explorer = FlowExplorer({{{load}}})\nexplorer.widget"]
    cells = [dict(cell_type='code', execution_count=None, id=f'c{i}', metadata={}, outputs=[], source=s)
             for i, s in enumerate(src)]
    nb = dict(cells=cells, nbformat=4, nbformat_minor=5,
              metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python')))
    (folder / 'explore.ipynb').write_text(json.dumps(nb))


@pytest.fixture(scope='module')
def lab():
    folder = Path(tempfile.mkdtemp())
    _analyses(folder)
    _notebook(folder)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    token = 'invflow-test'
    exe = _need('JupyterLab', shutil.which('jupyter-lab', path=str(Path(sys.executable).parent)))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(folder / '.config'), JUPYTER_RUNTIME_DIR=str(folder / '.runtime'))
    log = open(folder / 'lab.log', 'w')
    proc = subprocess.Popen([exe, '--no-browser', '--ip=127.0.0.1', f'--port={port}',
                             f'--IdentityProvider.token={token}',
                             f'--ServerApp.root_dir={folder}', '--LabApp.expose_app_in_browser=True',
                             '--LabApp.news_url=', *(['--allow-root'] if os.geteuid() == 0 else [])],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    try:
        url = f'http://127.0.0.1:{port}'
        for _ in range(300):
            try:
                urllib.request.urlopen(f'{url}/api/status?token={token}', timeout=1).read()
                break
            except OSError: time.sleep(0.2)
        else: pytest.fail('JupyterLab did not answer within 60 s: ' + (folder / 'lab.log').read_text()[-2000:])
        yield dict(url=url, token=token, folder=folder)
    finally:
        proc.terminate()
        try: proc.wait(timeout=20)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()


@pytest.fixture(scope='module')
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = _need("Debian's chromium", shutil.which('chromium') or shutil.which('chromium-browser'))
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run', '--window-size=1280,1600',
                 f'--user-data-dir={tempfile.mkdtemp()}'):
        opts.add_argument(flag)
    os.environ['SE_OFFLINE'] = 'true'                     # Selenium Manager: nothing to download, use the driver given
    driver = webdriver.Chrome(service=Service(_need('chromium-driver', shutil.which('chromedriver'))), options=opts)
    try: yield driver
    finally: driver.quit()


def _wait(driver, check, what: str, timeout: float = 90, shot: Path | None = None):
    "Poll `check()` until it is truthy; on timeout, fail saying `what` (and keep a screenshot)."
    end = time.time() + timeout
    while time.time() < end:
        try:
            got = check()
            if got: return got
        except Exception: pass
        time.sleep(0.5)
    if shot: driver.save_screenshot(str(shot))
    pytest.fail(f"{what} did not happen within {timeout:.0f} s" + (f" (screenshot: {shot})" if shot else ''))


def _grid(driver) -> list[str]:
    "The grid's cells as they read on hover: 'i=…, j=…: value (median ρ …)', four decimals."
    return [b.get_attribute('title') for b in driver.find_elements('css selector',
                                                                   '.jp-OutputArea .widget-gridbox button')]


def test_explorer_renders_and_reacts_in_jupyterlab(lab, browser):
    from selenium.webdriver.support.ui import Select
    shot = lab['folder'] / 'explorer.png'
    browser.get(f"{lab['url']}/lab/tree/explore.ipynb?token={lab['token']}")
    ready = ("const a = window.jupyterapp; const w = a && a.shell.currentWidget; "
             "const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel; "
             "return !!(k && k.connectionStatus === 'connected' && w.sessionContext.kernelDisplayStatus === 'idle');")
    _wait(browser, lambda: browser.execute_script(ready), 'the notebook opening with an idle kernel', 120, shot)
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
    pair = _wait(browser, lambda: [s for s in browser.find_elements('css selector', '.widget-dropdown select')
                                   if s.is_displayed()], 'the explorer widgets rendering', 120, shot)[0]
    before = _wait(browser, lambda: _grid(browser), 'the matrix grid rendering', 60, shot)
    assert len(before) == 9 and all(t.startswith('i=') and ': ' in t for t in before), before
    assert [o.text for o in Select(pair).options] == list(PAIRS)
    Select(pair).select_by_visible_text(PAIRS[1])
    after = _wait(browser, lambda: (g := _grid(browser)) != before and len(g) == 9 and g, 'the grid changing with '
                  'the pair', 60, shot)
    assert after != before
    cell = browser.find_elements('css selector', '.jp-OutputArea .widget-gridbox button')[4]   # blocks.1 · blocks.1
    cell.click()
    detail = _wait(browser, lambda: [h.text for h in browser.find_elements('css selector',
                                                                           '.jp-OutputArea .widget-html')
                                     if 'pretrained' in h.text], 'the selected cell\'s detail', 60, shot)[0]
    assert 'finetuned blocks.1 · pretrained blocks.1' in detail and f'({PAIRS[1]})' in detail, detail
    _wait(browser, lambda: browser.find_elements('css selector', '.jp-OutputArea .jp-RenderedSVG'),
          "the pair's per-layer curves drawing (an SVG output)", 60, shot)
    shown = browser.find_element('css selector', '.jp-Notebook').text
    assert 'Error loading script' not in shown and 'Error' not in shown.split('pretrained blocks.1')[-1], shown[-500:]
    keep = ROOT / '_docs' / 'screenshots'                                  # beside the docs test's (gitignored)
    keep.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(keep / 'explorer_jupyterlab.png'))
    assert (keep / 'explorer_jupyterlab.png').stat().st_size > 10_000
