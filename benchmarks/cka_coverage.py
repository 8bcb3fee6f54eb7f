"""Coverage of the intervals over images: which resampling scheme's 95 % intervals contain the true CKA?

Draws Gaussian representations with a known population linear CKA (`invflow.metrics.coverage_simulation`: decaying
spectrum, width d, a second target for a paired contrast) and counts, over many draws of n images, how often each
scheme's interval contains the population value and the estimator's expectation at n. Schemes: the bootstrap with
replacement (normal and percentile), the delete-one jackknife (as is and bias-corrected), half-samples (delete-d).

    .venv/bin/python benchmarks/cka_coverage.py        # the table in 05_finetune_metrics (d = 64; ≈ 26 min, 2 cores)
    .venv/bin/python benchmarks/cka_coverage.py --runs 48:50:50   # a quick look: n:draws:bootstrap draws
    .venv/bin/python benchmarks/cka_coverage.py --runs 28:400:0 48:400:0 --d 64 1088 4096 \
        --out benchmarks/results/cka_coverage_wide.csv    # wide layers (d ≫ n), the demo's n = 28: ≈ 7 min

Default runs: n = 48 with every scheme (200 draws, 200 bootstrap draws and halves each); n = 500 with the jackknife
(200 draws; it costs O(n²) per draw) and with every scheme (50 draws, 100 bootstrap draws: each costs O(n²) per
replicate, so 200 × 200 at n = 500 would take hours here).
"""
import argparse, time
from pathlib import Path

import pandas as pd
import torch

from invflow.metrics import coverage_simulation

OUT = Path(__file__).resolve().parent / 'results' / 'cka_coverage.csv'


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--runs', nargs='+', default=['48:200:200', '500:200:0', '500:50:100'],
                   help='n:draws:bootstrap draws for each run (0 bootstrap draws: the jackknife only)')
    p.add_argument('--d', type=int, nargs='+', default=[64], help='widths of the representations (one run each)')
    p.add_argument('--out', type=Path, default=OUT)
    a = p.parse_args()
    torch.set_num_threads(1)
    t0, tables = time.perf_counter(), []
    for d in a.d:
        for run in a.runs:
            n, reps, n_boot = map(int, run.split(':'))
            tables.append(coverage_simulation(n=n, d=d, reps=reps, n_boot=n_boot, progress=True).assign(n_boot=n_boot))
            print(f"d = {d}, n = {n}, {reps} draws, {n_boot} bootstrap draws: {time.perf_counter() - t0:.0f} s",
                  flush=True)
    df = pd.concat(tables, ignore_index=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(a.out, index=False)
    pd.set_option('display.width', 200)
    cols = ['d', 'n', 'reps', 'number']
    wide = df.pivot_table(index=['estimator', 'scheme'], columns=cols, values='coverage')
    print("coverage of the population value (goal ≥ 0.92):\n", wide.round(3).to_string())
    exp = df.pivot_table(index=['estimator', 'scheme'], columns=cols, values='coverage_of_expected')
    print("\ncoverage of the estimator's expectation at n:\n", exp.round(3).to_string())
    bias = df[(df.scheme == 'jackknife') & (df.n_boot > 0)][['n', 'estimator', 'number', 'population', 'expected_at_n',
                                                             'mean_estimate',
                                         'mean_bootstrap_replicate']]
    print("\nestimates and bootstrap replicates:\n", bias.round(4).to_string(index=False))
    print(f"\nwritten to {a.out} ({time.perf_counter() - t0:.0f} s)")


if __name__ == '__main__':
    main()
