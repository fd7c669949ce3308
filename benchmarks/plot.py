"""Draws the benchmarks' figures against their targets (run by run_all.py at the end).

Reads every ``benchmarks/results/*.json`` the benchmarks wrote (_report.write) and, for
each figure with a target, draws how far it is from it: the figure divided by its target,
turned so that 1 is the target and below 1 meets it (a ratio that must be at most 1.3×
is drawn as ratio / 1.3; one that must be at least 0.8× as 0.8 / ratio). Writes a PNG
(``benchmarks/results/benchmarks.png``, matplotlib, Agg) and prints a Mermaid
``xychart-beta`` block of the same, to paste into benchmarks/README.md (text: nothing
binary is committed).

    python benchmarks/plot.py                       # benchmarks/results
    python benchmarks/plot.py --results DIR --png out.png
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def against_target(figure: dict) -> float:
    """The figure over its target, 1 being the target and below 1 meeting it."""
    compared, target = figure["compared"], figure["target"]
    if figure["at_least"]:
        return target / compared if compared else float("inf")
    return compared / target


def load(results_dir: Path) -> list[dict]:
    """Every figure with a target, from every results file, labelled with its benchmark."""
    rows = []
    for path in sorted(results_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        when = next((line.split(": ", 1)[1] for line in data.get("header", []) if line.startswith("date: ")), "undated")
        for figure in data.get("figures", []):
            if figure.get("target") is None:
                continue
            sign = "≥" if figure["at_least"] else "≤"
            unit = "×" if figure.get("baseline") is not None else ""
            shown = f"{figure['compared']:.2f}{unit}"
            rows.append({"benchmark": data["benchmark"], "name": figure["name"],
                         "label": f"{data['benchmark']}: {figure['name']}",
                         "detail": f"{shown} (target {sign} {figure['target']:g}{unit})",
                         "score": against_target(figure), "meets": figure["meets"], "when": when})
    return rows


def png(rows: list[dict], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    height = 1.2 + 0.45 * len(rows)
    fig, ax = plt.subplots(figsize=(10, height))
    names = [r["label"] for r in rows][::-1]
    scores = [r["score"] for r in rows][::-1]
    colours = ["#2e7d32" if r["meets"] else "#c62828" for r in rows][::-1]
    ax.barh(names, [s - 1 for s in scores], left=1, color=colours)  # from the target: right misses, left meets
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    low, high = min(0.5, min(scores) * 0.8), max(2.0, max(scores) * 3)
    ax.set_xlim(low, high)
    ax.set_xticks([t for t in (0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 50, 100, 200) if low <= t <= high])
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    for y, r in enumerate(rows[::-1]):
        ax.text(max(r["score"], 1) * 1.05, y, r["detail"], va="center", fontsize=8)
    ax.set_xlabel("figure / target (log scale): 1 is the target; green meets it, red does not")
    ax.set_title("ehbot benchmarks against their targets")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def mermaid(rows: list[dict]) -> str:
    """An xychart-beta block: one bar per figure (figure / target) and the target line at 1."""
    labels = ", ".join(json.dumps(f"{r['benchmark']} {r['name']}".replace('"', "'")) for r in rows)
    bars = ", ".join(f"{r['score']:.2f}" for r in rows)
    top = max([2.0] + [r["score"] * 1.1 for r in rows if r["score"] != float("inf")])
    return "\n".join([
        "```mermaid",
        "xychart-beta",
        '    title "Figure / target (1 = the target; at or below 1 meets it)"',
        f"    x-axis [{labels}]",
        f'    y-axis "figure / target" 0 --> {top:.1f}',
        f"    bar [{bars}]",
        f"    line [{', '.join('1' for _ in rows)}]",
        "```",
    ])


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="the results directory (benchmarks/results)")
    parser.add_argument("--png", type=Path, help="where to draw (default RESULTS/benchmarks.png)")
    args = parser.parse_args(argv)
    rows = load(args.results)
    if not rows:
        print(f"plot: no figures with a target in {args.results} (run a benchmark first)")
        return 0
    path = png(rows, args.png or args.results / "benchmarks.png")
    print(f"plot: {len(rows)} figures against their targets drawn to {path}")
    for r in rows:
        print(f"  {r['label']}: {r['detail']} {'PASS' if r['meets'] else 'MISSED'} ({r['when']})")
    print("\nFor benchmarks/README.md:\n")
    print(mermaid(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
