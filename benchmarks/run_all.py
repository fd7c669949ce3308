"""Run every benchmark in benchmarks/ and print what each prints (``make bench``).

A benchmark is any ``benchmarks/*.py`` except this file, the helpers named in
HELPERS, and files whose name starts with an underscore. Each runs in its own
process, one after another (they measure time: never two at once); arguments
given here are passed to each, e.g. ``python benchmarks/run_all.py --quick``.
Then plot.py draws what they wrote to benchmarks/results/ against the targets.
A benchmark over its target is a figure to read, not a failure; the exit
status is non-zero only if a benchmark itself fails.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HELPERS = {"run_all.py", "generate.py", "plot.py"}


def benchmarks() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py") if p.name not in HELPERS and not p.name.startswith("_"))


def main(argv: list[str]) -> int:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    failed = []
    for script in benchmarks():
        print(f"=== {script.relative_to(ROOT)} {' '.join(argv)}".rstrip(), flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *argv], cwd=ROOT, env=env)
        print(f"=== {script.name}: {'done' if code == 0 else f'FAILED (exit {code})'} "
              f"in {time.perf_counter() - started:.0f}s\n", flush=True)
        if code:
            failed.append(script.name)
    print("=== the figures against their targets (plot.py)", flush=True)
    if subprocess.call([sys.executable, str(HERE / "plot.py")], cwd=ROOT, env=env):
        failed.append("plot.py")
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
