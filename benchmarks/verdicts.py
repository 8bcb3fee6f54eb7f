"""Do two runs of the embedded study reach the same verdicts? Runs tutorials 1–6 on each run folder and compares.

Each tutorial ends with a findings table (value, interval, seeds, control, verdict); this script executes the tutorials
against every run folder given (through $INVFLOW_RUN), collects those tables, and prints the verdicts side by side with
the rows where they differ. Tutorial 2 trains two small models per seed inside each run folder (minutes, once).

    make demo && cp -r runs/demo /tmp/demo_a && rm -rf runs/demo && make demo     # two runs from scratch
    .venv/bin/python benchmarks/verdicts.py /tmp/demo_a runs/demo
"""
import os, sys, time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RECORD = """import invflow.findings as _study
_found, _orig_findings = [], _study.findings
def _recording_findings(*rows, **kw):
    t = _orig_findings(*rows, **kw)
    _found.append(t)
    return t
_study.findings = _recording_findings"""


def verdicts(run: Path) -> pd.DataFrame:
    "The findings tables of tutorials 1–6 read from `run`, one row per finding."
    from execnb.shell import CaptureShell
    from fastcore.nbio import read_nb, mk_cell
    os.environ['INVFLOW_RUN'] = str(run.resolve())
    os.environ.pop('IN_TEST', None)
    out = []
    for nb_path in sorted((ROOT / 'nbs' / 'tutorials').glob('0[1-6]_*.ipynb')):
        nb = read_nb(nb_path)
        nb.cells.insert(0, mk_cell(RECORD, 'code'))
        shell, cwd = CaptureShell(nb_path), os.getcwd()
        os.chdir(nb_path.parent)
        try: shell.run_all(nb, exc_stop=True)
        finally: os.chdir(cwd)
        for t in shell.user_ns['_found']: out.append(t.assign(tutorial=nb_path.stem))
    return pd.concat(out, ignore_index=True)


def main():
    runs = [Path(p) for p in sys.argv[1:]]
    if len(runs) < 2: sys.exit("give two or more finished run folders, e.g. /tmp/demo_a runs/demo")
    t0, tables = time.perf_counter(), {}
    for r in runs:
        tables[str(r)] = verdicts(r)
        print(f"{r}: {len(tables[str(r)])} findings ({time.perf_counter() - t0:.0f} s)", flush=True)
    base = next(iter(tables.values()))[['tutorial', 'finding']].copy()
    for name, t in tables.items():
        base[f'{name}: value [interval]'] = [f"{v:.4g} [{lo:.4g}, {hi:.4g}]" for v, lo, hi in zip(t.value, t.ci_low,
                                                                                                  t.ci_high)]
        base[f'{name}: verdict'] = t.verdict.values
    vcols = [c for c in base if c.endswith(': verdict')]
    base['same verdict'] = base[vcols].nunique(axis=1) == 1
    pd.set_option('display.max_colwidth', 60)
    pd.set_option('display.width', 250)
    print(base.to_string(index=False))
    print(f"\n{int(base['same verdict'].sum())} of {len(base)} findings reach the same verdict in all {len(runs)} runs")


if __name__ == '__main__':
    main()
