"""Process- and browser-level tests of the embedded study: `invflow demo --quick` end to end, resume after a kill,
and the offline report rendering in headless Chromium. (Notebook tests cover everything else.)"""
import os, re, shutil, subprocess, tempfile, time
from pathlib import Path

import pytest

from conftest import run


def test_quick_demo_end_to_end(quick_run):
    d, r, _ = quick_run
    assert 'report:' in r.stdout and 'finetuning run(s): r = ' in r.stdout and 'one run cannot separate' in r.stdout
    res = d / 'results'
    for f in ('summary.csv', 'per_layer.csv', 'dynamics_per_epoch.csv', 'robustness.csv', 'correlation_study.csv',
              'flow_totals.csv', 'flow_replicates.csv', 'robustness_runs.csv', 'early_epoch_runs.csv',
              'invariance.csv', 'energy_sweep.csv', 'training.csv'):
        assert (res / f).stat().st_size > 0, f
    assert len(list(res.glob("analysis_*.json"))) == 5            # 3 pairs and 2 controls
    assert list((d / 'cache').glob('*/*.safetensors')) and (d / 'report.html').exists()


def test_second_run_reuses_everything(quick_run):
    d, _, _ = quick_run
    before = {p: p.stat().st_mtime_ns for p in (d / 'checkpoints').rglob('*.safetensors')}
    n_cache = len(list((d / 'cache').glob('*/*.safetensors')))
    r = run(['demo', '--quick', '--quiet', '--run-dir', str(d)])
    assert r.returncode == 0, r.stderr[-2000:]
    assert {p: p.stat().st_mtime_ns for p in (d / 'checkpoints').rglob('*.safetensors')} == before
    assert len(list((d / 'cache').glob('*/*.safetensors'))) == n_cache


def test_resume_after_kill(quick_run):
    d, _, killed = quick_run
    assert killed['pretrain_exists'], 'the run was killed before its first checkpoint'
    assert not killed['report_before']
    first = d / 'checkpoints' / 'pretrain_A' / 'epoch_001.safetensors'
    assert first.stat().st_mtime_ns == killed['stamp']          # resumed: the pretraining was not redone
    assert (d / 'report.html').exists()


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        if shutil.which(name): return shutil.which(name)
    pytest.fail("headless Chromium is needed for the report test: install it (Debian: apt-get install chromium); "
                "`make test` does this itself.")


def test_report_renders_every_chart_offline(quick_run):
    d, _, _ = quick_run
    page = (d / 'report.html').read_text()
    n_charts = page.split('<!-- invflow:body -->')[1].count('class="chart"')
    assert n_charts >= 6
    prof = tempfile.mkdtemp()
    try:
        dom = subprocess.run([chromium(), '--headless', '--no-sandbox', '--disable-gpu',
                              '--disable-background-networking',
                              '--disable-component-update', '--disable-sync', '--no-first-run', f'--user-data-dir={prof}',
                              '--virtual-time-budget=20000', '--dump-dom', (d / 'report.html').as_uri()],
                             capture_output=True, text=True, timeout=180).stdout
        shot = d / 'report.png'
        subprocess.run([chromium(), '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                        '--disable-component-update', '--disable-sync', '--no-first-run', f'--user-data-dir={prof}',
                        '--virtual-time-budget=20000', f'--screenshot={shot}', '--window-size=1280,2400',
                        (d / 'report.html').as_uri()], capture_output=True, timeout=180)
    finally: shutil.rmtree(prof, ignore_errors=True)
    body = dom.split('<!-- invflow:body -->')[1]
    charts = [seg.split('<script')[0] for seg in re.split(r'<div class="chart[^"]*" id="chart\d+"', body)[1:]]
    assert len(charts) == n_charts
    for c in charts:                       # a failed chart holds the text "chart error: …" instead of an SVG
        assert 'chart error' not in c and '<svg' in c and 'class="marks"' in c and re.search(r'class="mark-\w+',
                                                                                             c), c[:300]
    assert shot.exists() and shot.stat().st_size > 10_000


READ_PAGE = """
const body = document.body, width = window.innerWidth;
const tables = [...document.querySelectorAll('table')];
return {
  width: width, scroll: document.documentElement.scrollWidth,
  heads: [...document.querySelectorAll('h2')].map(h => h.textContent),
  widest: Math.max(0, ...tables.map(t => t.getBoundingClientRect().right)),
  longest: Math.max(0, ...tables.filter(t => !t.closest('details')).map(t => t.rows.length)),   // folded: on request
  nan_cells: [...document.querySelectorAll('td')].filter(td => /^(nan|NaN|None)$/.test(td.textContent.trim())).length,
  findings: [...document.querySelectorAll('table')].filter(t => t.rows[0] && t.rows[0].textContent.includes('verdict'))
            .map(t => [...t.rows].slice(1).map(r => [...r.cells].map(c => c.textContent))),
  links: [...document.querySelectorAll('a[href$=".csv"]')].map(a => a.getAttribute('href')),
  charts: [...document.querySelectorAll('div.chart')].map(d => ({title: d.dataset.title,
           svg: !!d.querySelector('svg'), rules: d.querySelectorAll('.mark-rule path, .mark-rule line').length})),
};"""


def test_report_reads_at_1280px(quick_run):
    """The report as a researcher reads it, in headless Chromium at 1280 px: findings first, each with
    "value [interval]" and a verdict; nothing wider than the page; no `nan` printed; no table longer than 40 rows
    printed (raw tables are linked as CSV, and every link resolves; the provenance is folded); training drawn as
    curves; intervals drawn as error bars on the per-layer chart. What would make it fail: a table dump, a column that overflows, a broken link."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    d, _, _ = quick_run
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium()
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run', '--window-size=1280,1600',
                 f'--user-data-dir={tempfile.mkdtemp()}'):
        opts.add_argument(flag)
    os.environ['SE_OFFLINE'] = 'true'
    driver = webdriver.Chrome(service=Service(shutil.which('chromedriver')), options=opts)
    try:
        driver.get((d / 'report.html').as_uri())
        t0 = time.time()
        while time.time() - t0 < 60 and not driver.execute_script(
                "return [...document.querySelectorAll('div.chart')].every(c => c.querySelector('svg'))"):
            time.sleep(0.5)
        page = driver.execute_script(READ_PAGE)
    finally: driver.quit()
    assert page['heads'][0] == 'Findings', page['heads'][:3]
    assert page['scroll'] <= page['width'] and page['widest'] <= page['width'], page
    assert page['nan_cells'] == 0 and page['longest'] <= 40, page
    (rows,) = page['findings']
    assert len(rows) >= 3 and all(re.match(r'^-?[0-9.e-]+( \[-?[0-9.e-]+, -?[0-9.e-]+\])?$', r[2]) for r in rows), rows
    assert all(r[3].startswith(('holds', 'does not hold', 'inconclusive')) for r in rows), rows
    assert page['links'] and all((d / href).exists() for href in page['links']), page['links']
    charts = {c['title']: c for c in page['charts']}
    assert all(c['svg'] for c in charts.values()) and 'Training' in charts, list(charts)
    assert charts['Per-layer learning, forgetting and CKA divergence']['rules'] > 0      # the intervals, drawn
