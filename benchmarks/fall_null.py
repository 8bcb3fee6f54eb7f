"""Error rates of the fall-over-epochs test (invflow.findings.largest_fall), by simulation, beside the null it replaced.

Each simulated study: a curve of 10 epochs, each epoch the mean of m "images" whose values share a per-image effect
across epochs (correlation `corr`, as the same images at every epoch give), the jackknife's leave-one-out means as the
replicates. The share of studies read "holds" (p < 0.025: a fall larger than noise) and "does not hold" — for the
shared-replicate null (`largest_fall`, one run and two runs on the same images) every step's 97.5 % upper bound below
0 (`upper` < 0, an intersection–union test); for the first version's null (independent normal noise with each
epoch's own standard error) its p > 0.975. On a flat curve "holds" should be 2.5 % and "does not hold" rare.

    .venv/bin/python benchmarks/fall_null.py [--studies 1000] [--images 48]
"""
import argparse, time

import numpy as np
import pandas as pd

from invflow.findings import largest_fall
from invflow.metrics import leave_one_out_se

SHAPES = {'flat': np.zeros(10), 'rising': np.linspace(0, 0.05, 10),
          'fall 0.04': np.linspace(0, 0.05, 10) - 0.04 * (np.arange(10) >= 5),
          'steep rise': np.arange(10) * 0.04, 'steep, one fall 0.005': np.arange(10) * 0.04 - 0.045 * (np.arange(10) >= 5)}

def jack_curve(vals: np.ndarray) -> np.ndarray:
    "`(E, 1 + n)`: each epoch's mean of the images' values `(E, n)`, then the mean with each image left out."
    n = vals.shape[1]
    return np.concatenate([vals.mean(1, keepdims=True), (vals.sum(1, keepdims=True) - vals) / (n - 1)], axis=1)

def study(curve, m: int, corr: float, rng, runs: int = 2, sd: float = 0.07) -> list[np.ndarray]:
    "`runs` noisy copies of `curve` on the same m images (a per-image effect shared by every epoch and run)."
    shared = rng.normal(size=m) * sd * np.sqrt(corr)
    return [curve[:, None] + shared + rng.normal(size=(len(curve), m)) * sd * np.sqrt(1 - corr) for _ in range(runs)]

def independent_p(vals: np.ndarray, n_sim: int, seed: int) -> float:
    "The first version's p: a flat curve plus independent N(0, SE_e²) noise per epoch, SE_e the jackknife's."
    c = jack_curve(vals)
    se = np.array([leave_one_out_se(r[1:]) for r in c])
    null = np.random.default_rng(seed).normal(size=(n_sim, len(se))) * se
    null, fall = (null[:, :-1] - null[:, 1:]).max(1), (c[:-1, 0] - c[1:, 0]).max()
    return ((null > fall).sum() + 0.5 * (null == fall).sum() + 0.5) / (n_sim + 1)

def rates(studies: int, m: int, n_sim: int = 2000) -> pd.DataFrame:
    "Per (shape, correlation, null): the shares read 'holds' and 'does not hold'."
    rows, rng = [], np.random.default_rng(0)
    for shape, curve in SHAPES.items():
        for corr in (0.0, 0.5, 0.8, 0.95):
            ps = []
            for i in range(studies):
                vals = study(curve, m, corr, rng)
                cs = [jack_curve(v) for v in vals]
                one, two = largest_fall(cs[0], n_sim=n_sim, seed=i), largest_fall(cs, n_sim=n_sim, seed=i)
                p_ind = independent_p(vals[0], n_sim, i)
                ps.append((one['p'] < 0.025, one['upper'] < 0, two['p'] < 0.025, two['upper'] < 0,
                           p_ind < 0.025, p_ind > 0.975))
            for k, name in enumerate(('shared replicates, 1 run', 'shared replicates, 2 runs',
                                      'independent (replaced)')):
                h = np.array(ps)[:, 2 * k: 2 * k + 2]
                rows.append(dict(shape=shape, corr=corr, null=name, holds=h[:, 0].mean(), does_not_hold=h[:, 1].mean(),
                                 studies=studies, images=m))
    return pd.DataFrame(rows)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--studies', type=int, default=1000)
    ap.add_argument('--images', type=int, default=48)
    a = ap.parse_args()
    t0 = time.perf_counter()
    r = rates(a.studies, a.images)
    r.to_csv('benchmarks/results/fall_null.csv', index=False)
    print(r.pivot_table(index=['shape', 'corr'], columns='null', values=['holds', 'does_not_hold']).round(3)
          .to_string())
    print(f"{a.studies} studies per cell, {a.images} images, 10 epochs; binomial SE at 2.5 %: "
          f"{np.sqrt(0.025 * 0.975 / a.studies):.3f}; {time.perf_counter() - t0:.0f} s")
