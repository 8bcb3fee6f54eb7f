"""Coverage of the flow totals' intervals: do the jackknife's 95 % intervals of compression and expansion (signed, and
of the positive entries) contain the population totals of a pair whose flow matrix is known?

Draws the synthetic pretrained/finetuned pair of `invflow.metrics.flow_coverage_simulation` (a latent with a decaying
spectrum; pretrained layers that keep fewer coordinates with depth, finetuned layers with other invariances; the
population flow in closed form, entries −0.12 … +0.045) and counts, over many draws of n images, how often the
delete-one jackknife interval of each total contains the population total and the estimator's own mean at n.

    .venv/bin/python benchmarks/flow_coverage.py --runs 48:400 500:200   # both models, n = 48 and 500
    .venv/bin/python benchmarks/flow_coverage.py --runs 48:50    # a quick look: n:draws
"""
import argparse, time
from pathlib import Path

import pandas as pd
import torch

from invflow.metrics import flow_coverage_simulation

OUT = Path(__file__).resolve().parent / 'results' / 'flow_coverage.csv'


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--runs', nargs='+', default=['48:200', '500:100'], help='n:draws for each run')
    p.add_argument('--d', type=int, default=64, help='width of the latent')
    p.add_argument('--models', nargs='+', default=['mixed', 'no flow'], help="'mixed' and/or 'no flow'")
    p.add_argument('--out', type=Path, default=OUT)
    a = p.parse_args()
    torch.set_num_threads(1)
    t0, tables = time.perf_counter(), []
    for model in a.models:
        for run in a.runs:
            n, reps = map(int, run.split(':'))
            tables.append(flow_coverage_simulation(n=n, d=a.d, reps=reps, model=model, progress=True))
            print(f"{model}, n = {n}, {reps} draws: {time.perf_counter() - t0:.0f} s", flush=True)
    df = pd.concat(tables, ignore_index=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(a.out, index=False)
    pd.set_option('display.width', 200)
    for col in ('coverage', 'coverage_of_expected', 'mean_estimate', 'width'):
        print(f"\n{col}:\n", df.pivot_table(index=['estimator', 'total'], columns=['model', 'n'],
                                            values=col).round(4).to_string())
    for model, t in df.groupby('model'):
        print(f"\npopulation ({model}):", t.drop_duplicates('total').set_index('total').population.round(4).to_dict())


if __name__ == '__main__':
    main()
