"""The benchmarks run (on a tiny size): no timing is asserted here, ever."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_scan_benchmark_prints_its_table(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), EHBOT_VAR_DIR=str(tmp_path / "var"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scan.py"), "--sizes", "50,100", "--databases", "sqlite",
         "--results", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith(("| sqlite | 50 |", "| sqlite | 100 |"))]
    assert len(rows) == 2, done.stdout
    assert "scan/raw (target ≤ 3×)" in done.stdout and "machine:" in done.stdout
    written = json.loads((tmp_path / "scan.json").read_text())  # what plot.py draws
    assert [f["name"] for f in written["figures"]] == [
        "next-day scan, sqlite 50 cases", "next-day scan, sqlite 100 cases", "full-scan peak memory, sqlite 100 cases"]
    assert all(f["value"] > 0 and f["baseline"] > 0 and f["target"] for f in written["figures"])


def _benchmarks_module(name):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def test_run_all_runs_every_benchmark_and_no_helper():
    run_all = _benchmarks_module("run_all")
    names = {p.name for p in run_all.benchmarks()}
    assert {"scan.py", "chat.py", "nlu.py", "understanding.py", "safeguarding.py"} <= names
    assert not names & {"plot.py", "generate.py", "run_all.py", "_report.py", "_rasa.py", "_devset.py"}


@pytest.mark.parametrize("script, figure", [("understanding.py", "case messages understood"),
                                            ("safeguarding.py", "disclosures caught, through the core")])
def test_the_development_set_benchmarks_run_through_the_core(tmp_path, script, figure):
    devset = _benchmarks_module("_devset")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--core", "--results-dir", str(tmp_path)],
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    if not devset.available():
        assert "nothing measured" in done.stdout
        return
    results = json.loads((tmp_path / f"{script[:-3]}.json").read_text())
    found = {f["name"]: f for f in results["figures"]}
    assert 0 <= found[figure]["value"] <= 1 and found[figure]["target"] is not None
    assert "| figure |" in done.stdout


def test_a_figure_is_judged_against_its_target_in_its_direction():
    report = _benchmarks_module("_report")
    slower = report.Figure("p50 per turn", "ms", 260.0, 200.0, "bare Rasa", 1.3)
    assert slower.compared == 1.3 and slower.meets and slower.verdict() == "PASS"
    assert report.Figure("p99 per turn", "ms", 500.0, 200.0, "bare Rasa", 2.0).verdict() == "OVER"
    fewer = report.Figure("throughput", "turns/s", 7.0, 10.0, "bare Rasa", 0.8, at_least=True)
    assert fewer.verdict() == "UNDER" and fewer.target_words() == "≥ 0.8×"
    accuracy = report.Figure("intent accuracy", "accuracy", 0.95, target=0.93, at_least=True)
    assert accuracy.compared == 0.95 and accuracy.meets and accuracy.target_words() == "≥ 0.93"
    assert report.Figure("memory", "MB", 1600.0, 1100.0, "bare Rasa").meets is None


def test_plot_draws_each_figure_against_its_target(tmp_path):
    report = _benchmarks_module("_report")
    report.write("chat", "chat", [
        report.Figure("p50 per turn", "ms", 520.0, 200.0, "bare Rasa", 1.3),            # 2.6x: twice its target
        report.Figure("throughput", "turns/s", 4.0, 10.0, "bare Rasa", 0.8, at_least=True),  # 0.4x: half of 0.8
        report.Figure("memory", "MB", 1600.0, 1100.0, "bare Rasa"),                     # no target: not drawn
    ], ["date: 2026-11-23 12:00 UTC"], [], tmp_path)
    report.write("nlu", "nlu", [report.Figure("intent accuracy", "accuracy", 0.93, target=0.93, at_least=True)],
                 [], [], tmp_path)
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "plot.py"), "--results", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "benchmarks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    chart = done.stdout[done.stdout.index("```mermaid"):]
    assert "xychart-beta" in chart
    assert 'x-axis ["chat p50 per turn", "chat throughput", "nlu intent accuracy"]' in chart
    assert "bar [2.00, 2.00, 1.00]" in chart
    assert "memory" not in chart


def _smoke(script, tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--smoke", "--results", str(tmp_path)],
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                          timeout=2400)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    for words in ("machine:", "load average at start:", "load average at end:"):
        assert words in done.stdout, done.stdout
    results = json.loads((tmp_path / f"{script[:-3]}.json").read_text())
    return done.stdout, {f["name"]: f for f in results["figures"]}, results["notes"]


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_the_chat_benchmark_runs_both_bots_and_ehbot_reads_the_database(tmp_path):
    out, figures, notes = _smoke("chat.py", tmp_path)
    assert "| p50 per turn, ms |" in out and "≤ 1.3×" in out and "≥ 0.8×" in out
    for name in ("p50 per turn", "p99 per turn", "throughput, 2 clients", "peak memory, whole stack"):
        assert figures[name]["value"] > 0 and figures[name]["baseline"] > 0, figures[name]
    # Every status turn ehbot answered ran the action that reads the case (from its tracker store).
    ran = next(n for n in notes if n.startswith("ehbot's status turns ran"))
    counted = re.search(r"in (\d+) of (\d+) turns", ran)
    assert counted and counted.group(1) == counted.group(2) and int(counted.group(2)) > 0, ran
    # The payload turns that split an action turn's cost ran what they are meant to, and only that.
    payloads = next(n for n in notes if n.startswith("ehbot's 'hello' turns ran"))
    assert re.search(r"'/greet' turns ran \{'action_respond': \d+\}", payloads), payloads
    assert re.search(r"'/nlu_fallback' turns ran \{'action_respond': \d+\}", payloads), payloads


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_the_nlu_benchmark_trains_evaluates_and_cross_validates(tmp_path):
    from test_rasa_project import MIN_INTENT_ACCURACY

    out, figures, _notes = _smoke("nlu.py", tmp_path)
    assert "2-fold cross-validation" in out
    held, cv = figures["intent accuracy, held out"], figures["intent accuracy, 2-fold cross-validation"]
    assert held["target"] == cv["target"] == MIN_INTENT_ACCURACY
    assert 0 <= held["value"] <= 1 and 0 <= cv["value"] <= 1
    training = figures["training time, NLU and dialogue"]
    assert training["value"] > 0 and training["baseline"] > 0
