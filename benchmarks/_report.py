"""What every benchmark prints and saves: the machine, the load, figures against targets.

A figure is a number compared with a target: ``compared`` is either a ratio against a
baseline measured in the same run (``value / baseline``) or, for quality figures whose
baseline is a target the tests set, the value itself. Each benchmark writes its figures
to ``benchmarks/results/<name>.json`` (plot.py draws them; git ignores the directory).
"""
from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


@dataclass
class Figure:
    name: str                          # e.g. "p50 per turn"
    unit: str                          # of value and baseline: "ms", "turns/s", "accuracy"
    value: float                       # ehbot's
    baseline: Optional[float] = None   # measured in the same run (None: compared with the target itself)
    baseline_name: str = ""            # e.g. "bare Rasa"
    target: Optional[float] = None     # what ``compared`` should be at most / at least
    at_least: bool = False             # True: compared >= target passes; False: compared <= target

    @property
    def compared(self) -> float:
        return self.value / self.baseline if self.baseline else self.value

    @property
    def meets(self) -> Optional[bool]:
        if self.target is None:
            return None
        return self.compared >= self.target if self.at_least else self.compared <= self.target

    def target_words(self) -> str:
        if self.target is None:
            return "no target"
        suffix = "×" if self.baseline is not None else ""
        return f"{'≥' if self.at_least else '≤'} {self.target:g}{suffix}"

    def verdict(self) -> str:
        if self.meets is None:
            return ""
        return "PASS" if self.meets else ("UNDER" if self.at_least else "OVER")

    def as_dict(self) -> dict:
        return {**asdict(self), "compared": self.compared, "meets": self.meets}


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cores)"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine(software: Optional[str] = None) -> list[str]:
    """Date, hardware and software, one line each (``software`` in place of the Rasa stack's)."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    mem = ""
    try:
        mem = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    return [
        f"date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"machine: {os.cpu_count()} cores, {model}{mem}; {platform.system()} {platform.release()}",
        "software: " + (software or f"Python {platform.python_version()}, Rasa {_version('rasa')}, "
                        f"Rasa SDK {_version('rasa-sdk')}, TensorFlow {_version('tensorflow')}, "
                        f"spaCy {_version('spacy')}, SQLite {sqlite3.sqlite_version}"),
    ]


def _number(x: Optional[float]) -> str:
    if x is None:
        return "—"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3f}" if abs(x) < 1 else f"{x:.1f}"


def table(figures: list[Figure], value_head: str = "ehbot") -> list[str]:
    """A Markdown table: each figure, its baseline, the comparison, the target, the verdict."""
    lines = [f"| figure | {value_head} | baseline | compared | target | |", "|---|---|---|---|---|---|"]
    for f in figures:
        baseline = f"{_number(f.baseline)} ({f.baseline_name})" if f.baseline is not None else "—"
        compared = f"{f.compared:.2f}×" if f.baseline else _number(f.compared)
        lines.append(f"| {f.name}, {f.unit} | {_number(f.value)} | {baseline} | {compared} | {f.target_words()} "
                     f"| {f.verdict()} |")
    return lines


def write(name: str, title: str, figures: list[Figure], header: list[str], notes: list[str],
          results_dir: Optional[Path] = None) -> Path:
    """benchmarks/results/<name>.json: what plot.py draws."""
    directory = Path(results_dir) if results_dir else RESULTS
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "title": title, "header": header, "notes": notes,
                                "figures": [f.as_dict() for f in figures]}, indent=2) + "\n", encoding="utf-8")
    return path


def publish(out, name: str, title: str, figures: list[Figure], header: list[str], notes: list[str],
            end_load: str, results_dir: Optional[Path] = None) -> Path:
    """Print the table and notes through ``out``, then write benchmarks/results/<name>.json."""
    out("")
    for line in table(figures):
        out(line)
    for note in notes:
        out(f"- {note}")
    out(f"load average at end: {end_load}")
    path = write(name, title, figures, header, notes, results_dir)
    out(f"figures written to {path}")
    return path
