"""The benchmarks run (on a tiny size): no timing is asserted here, ever."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_scan_benchmark_prints_its_table(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), EHBOT_VAR_DIR=str(tmp_path / "var"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scan.py"), "--sizes", "50", "--databases", "sqlite"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| sqlite | 50 |")]
    assert len(rows) == 1, done.stdout
    assert "scan/raw (target ≤ 3×)" in done.stdout and "machine:" in done.stdout


def test_run_all_finds_the_scan_benchmark():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run_all
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert "scan.py" in [p.name for p in run_all.benchmarks()]
