"""A SIGKILL in the middle of `invflow analyze` (a real process, killed while an inversion snapshot is on disk), then
the same command again: it resumes from the snapshot and its results are bit for bit those of an uninterrupted run.
The times are measured by `benchmarks/kill_resume.py` (its figures are in 03_invert); nothing here is timed."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'benchmarks'))
from kill_resume import kill_and_resume


def test_killed_analysis_resumes_bit_for_bit(tmp_path):
    r = kill_and_resume(tmp_path, n=8, steps=80, at=0.4, every=0.1, layers='blocks.0,blocks.5,head:in')
    assert r['snapshots_at_kill'] >= 1                 # it was killed with an inversion in progress
    assert r['resumed_from'] >= 1                      # … and the rerun went on from the snapshot, not from 0
    assert r['identical'], r
    assert r['snapshots_after'] == 0                   # every snapshot went once its inversion was cached
