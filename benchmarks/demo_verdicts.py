"""Every tutorial's findings on one finished run, and whether two runs reach the same verdicts.

    python benchmarks/demo_verdicts.py RUN_DIR OUT.csv        # execute the seven tutorials on RUN_DIR
    python benchmarks/demo_verdicts.py --compare A.csv B.csv  # same verdicts? (exit 1 where one differs)

The tutorials are executed in this process (execnb, as nbdev-test does, but on RUN_DIR instead of the toy run), with
`invflow.findings.findings` recording each table it returns: tutorial, finding, value, interval, test, seeds,
control, gates (rho_ok, floor_ok), verdict and what would flip it.
"""
import os, sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def verdicts(run: Path) -> pd.DataFrame:
    "Execute every tutorial on `run`; the rows of every findings table they build."
    from fastcore.nbio import read_nb
    from execnb.shell import CaptureShell
    import invflow.findings as study
    tables, original = [], study.findings
    def recording(*rows, **kw):
        t = original(*rows, **kw)
        tables.append(t.assign(tutorial=current[0]))
        return t
    study.findings, current = recording, ['']
    os.environ['INVFLOW_RUN'] = str(run.resolve())
    os.environ.pop('IN_TEST', None)
    here = os.getcwd()
    try:
        for nb in sorted((ROOT / 'nbs' / 'tutorials').glob('[0-9]*.ipynb')):
            current[0] = nb.stem
            os.chdir(nb.parent)
            CaptureShell().run_all(read_nb(nb), exc_stop=True)
            print(f"{nb.stem}: {sum(len(t) for t in tables if t.tutorial.iat[0] == nb.stem)} findings", flush=True)
    finally:
        os.chdir(here)
        study.findings = original
    cols = ['tutorial', 'finding', 'value', 'ci_low', 'ci_high', 'test', 'seeds', 'control', 'rho_ok', 'floor_ok',
            'drift', 'verdict', 'flips_if']
    return pd.concat(tables, ignore_index=True)[cols]


def compare(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    "The findings whose verdicts differ between two runs (matched by tutorial and claim, in order)."
    key = lambda t: t.assign(k=t.groupby(['tutorial', 'finding']).cumcount())
    m = key(a).merge(key(b), on=['tutorial', 'finding', 'k'], how='outer', suffixes=('_a', '_b'), indicator=True)
    return m[(m._merge != 'both') | (m.verdict_a != m.verdict_b)]


def compare_values(a: pd.DataFrame, b: pd.DataFrame) -> float:
    "The largest absolute difference of a finding's value between two runs (equal values, ±inf or NaN in both, count 0)."
    va, vb = a.value.to_numpy(float), b.value.to_numpy(float)
    if len(va) != len(vb): return float('nan')
    with np.errstate(invalid='ignore'): d = np.abs(va - vb)
    d[(va == vb) | (pd.isna(va) & pd.isna(vb))] = 0
    return float(d.max())


if __name__ == '__main__':
    if sys.argv[1] == '--compare':
        a, b = (pd.read_csv(p) for p in sys.argv[2:4])
        diff = compare(a, b)
        print(f"{len(a)} findings in {sys.argv[2]}, {len(b)} in {sys.argv[3]}; verdicts that differ: {len(diff)}")
        if len(diff): print(diff[['tutorial', 'finding', 'verdict_a', 'verdict_b']].to_string())
        same = compare_values(a, b)
        print(f"largest |value difference| over the findings both have: {same:.3g}")
        print(a.verdict.value_counts().to_string())
        sys.exit(1 if len(diff) else 0)
    t = verdicts(Path(sys.argv[1]))
    t.to_csv(sys.argv[2], index=False)
    print(f"{len(t)} findings written to {sys.argv[2]}")
