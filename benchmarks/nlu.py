"""NLU quality and training time: held-out accuracy, cross-validation, and a forced training.

  training     ehbot's full model (``rasa train --force``: NLU and dialogue, config.yml,
               domain.yml, data/) into a temporary directory, with a fresh Rasa cache so
               nothing is reused; the bare bot (benchmarks/bare_bot) trained the same way
               before and after it, as the baseline (their mean). Wall-clock seconds.
  held out     that model on tests/rasa/nlu_holdout.yml (``rasa test nlu``), as
               tests/test_rasa_project.py evaluates it: intent accuracy (the NLU's second
               opinion for the core; guidance answers are chosen by retrieval, not by a
               response selector), and DIET's entity F1 (micro average over entity labels,
               token level, as Rasa reports it; the spaCy ruler's CASE_REF, ROLE, DOC_TERM are
               pretrained and Rasa leaves them out of the evaluation).
  cross-val.   ``rasa test nlu --cross-validation --folds N`` on data/nlu (5 folds; 3 with
               --quick): the same three figures over the accumulated test folds.

The baseline of the quality figures is the floor the tests set (MIN_INTENT_ACCURACY, read
from tests/test_rasa_project.py), printed beside each figure; the
tests set none for entities or training time, so neither has a target here.

    python benchmarks/nlu.py              # 5 folds (about an hour on 2 cores)
    python benchmarks/nlu.py --quick      # 3 folds (about 40 minutes)
    python benchmarks/nlu.py --smoke      # checks that it runs: the same steps on the bare bot
                                          # (its own data as the held-out set), 2 folds, one
                                          # baseline training; the figures mean nothing
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path.insert(0, str(HERE))

import _rasa  # noqa: E402  (sets the import path for bot/ and tests/)
from _report import Figure, load_average, machine, publish  # noqa: E402

ROOT = _rasa.ROOT
HOLDOUT = "tests/rasa/nlu_holdout.yml"
FOLDS = {"full": 5, "quick": 3, "smoke": 2}


def floors_the_tests_set() -> dict[str, float]:
    """The floors the slow tests assert on the held-out set."""
    import test_rasa_project as t

    return {"intent": t.MIN_INTENT_ACCURACY}


@dataclass
class Project:
    """What is trained and evaluated: paths relative to the project root."""

    config: str
    domain: str
    data: str
    nlu: str        # cross-validated
    holdout: str    # evaluated after training


EHBOT = Project("config.yml", "domain.yml", "data", "data/nlu", HOLDOUT)
# --smoke: every Rasa step is a minute or more of start-up on two cores, whatever the data,
# so the smoke run takes the smallest project there is (it checks the steps, not the bot).
_BARE = _rasa.BARE.relative_to(ROOT)
SMOKE = Project(str(_BARE / "config.yml"), str(_BARE / "domain.yml"), str(_BARE / "data"),
                str(_BARE / "data" / "nlu.yml"), str(_BARE / "data" / "nlu.yml"))


def quality(out_dir: Path) -> dict[str, Optional[float]]:
    """Intent accuracy, faq selection accuracy and entity F1 from a ``rasa test nlu`` output."""

    def report(name: str) -> Optional[dict]:
        path = out_dir / name
        return json.loads(path.read_text()) if path.is_file() else None

    intents, faq, entities = (report(n) for n in ("intent_report.json", "response_selection_report.json",
                                                   "DIETClassifier_report.json"))
    f1 = 0.0  # Rasa writes no entity report when DIET predicted no entity at all
    if entities:
        avg = entities.get("micro avg") or entities.get("weighted avg") or {}
        f1 = avg.get("f1-score", 0.0)
    return {"intent": intents and intents.get("accuracy"), "faq": faq and faq.get("accuracy"), "entity_f1": f1,
            "weakest": weakest(intents) + weakest(faq)}


def weakest(report: Optional[dict], n: int = 4) -> list[str]:
    """The labels with the lowest F1 in a Rasa report, as "label F1 (support)": where to look first."""
    rows = [(label, r) for label, r in (report or {}).items()
            if isinstance(r, dict) and "f1-score" in r and not label.endswith(" avg")]
    rows.sort(key=lambda item: item[1]["f1-score"])
    return [f"{label} {r['f1-score']:.2f} ({r.get('support', 0):g})" for label, r in rows[:n] if r["f1-score"] < 1]


def _words(got: dict) -> str:
    shown = ", ".join(f"{k} {v:.3f}" for k, v in got.items() if isinstance(v, float))
    return shown + (f"; lowest F1 (intent or faq answer, examples): {', '.join(got['weakest'])}" if got["weakest"] else "")


def run(mode: str, results_dir: Optional[Path], out=print) -> list[Figure]:
    title = "NLU quality and training time (issue 6): held-out set, cross-validation, a forced training"
    header = machine() + [f"load average at start: {load_average()}"]
    folds = FOLDS[mode]
    project = SMOKE if mode == "smoke" else EHBOT
    out(title)
    for line in header:
        out(line)
    floors = floors_the_tests_set()
    out(f"mode: {mode}; {folds}-fold cross-validation on {project.nlu}; held-out set {project.holdout}; "
        f"the tests' floor: intent accuracy {floors['intent']}")
    if mode == "smoke":
        out("  smoke: the bare bot stands in for ehbot (the figures say nothing about ehbot)")
    _rasa.ehbot_run.ensure_spacy_pipeline()
    with tempfile.TemporaryDirectory(prefix="ehbot-bench-nlu-") as tmp_name:
        tmp = Path(tmp_name)

        def train_bare(n: int) -> float:
            _, seconds = _rasa.train_bare(tmp / f"bare-{n}", force=True, cache=tmp / f"cache-bare-{n}")
            out(f"  bare bot trained in {seconds:.1f}s")
            return seconds

        bare_times = [train_bare(1)]
        model_dir = tmp / "model"
        model_dir.mkdir()
        train_seconds = _rasa.rasa("train", "--config", project.config, "--domain", project.domain, "--data",
                                   project.data, "--out", str(model_dir), "--fixed-model-name", "model", "--force",
                                   log=tmp / "train.log", cache=tmp / "cache-model")
        train_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child so far
        out(f"  {'ehbot' if project is EHBOT else 'the bare bot (smoke)'} trained in {train_seconds:.1f}s "
            f"(peak RSS {train_peak:.0f} MB)")
        if mode != "smoke":  # before and after, so background load falls on both
            bare_times.append(train_bare(2))
        bare_seconds = sum(bare_times) / len(bare_times)

        holdout_out = tmp / "holdout"
        test_seconds = _rasa.rasa("test", "nlu", "--nlu", project.holdout, "--model", str(model_dir / "model.tar.gz"),
                                  "--out", str(holdout_out), "--no-plot", log=tmp / "holdout.log")
        held = quality(holdout_out)
        out(f"  held-out set evaluated in {test_seconds:.0f}s: {_words(held)}")

        cv_out = tmp / "cv"
        cv_seconds = _rasa.rasa("test", "nlu", "--nlu", project.nlu, "--config", project.config, "--cross-validation",
                                "--folds", str(folds), "--out", str(cv_out), "--no-plot", log=tmp / "cv.log",
                                cache=tmp / "cache-cv")
        cv = quality(cv_out)
        out(f"  {folds}-fold cross-validation in {cv_seconds:.0f}s: {_words(cv)}")

    end_load = load_average()
    header.append(f"load average at end: {end_load}")

    figures = []
    for label, got in (("held out", held), (f"{folds}-fold cross-validation", cv)):
        if got["intent"] is not None:
            figures.append(Figure(f"intent accuracy, {label}", "accuracy", got["intent"], target=floors["intent"],
                                  at_least=True))
        if got["faq"] is not None:  # a project with a response selector (ehbot has none: retrieval chooses)
            figures.append(Figure(f"faq answer selection, {label}", "accuracy", got["faq"], at_least=True))
        figures.append(Figure(f"entity F1 (DIET), {label}", "F1", got["entity_f1"]))
    figures.append(Figure("training time, NLU and dialogue", "s", train_seconds, bare_seconds, "bare bot"))
    notes = [
        "targets of the quality figures: the tests' floors (tests/test_rasa_project.py); the tests set none for entity F1 "
        "or training time",
        f"bare bot trained in {', '.join(f'{s:.1f}' for s in bare_times)} s"
        + (" (before and after ehbot; the baseline is their mean)" if len(bare_times) > 1 else "")
        + "; every training forced (--force) with a fresh Rasa cache, so nothing is reused",
        f"peak RSS of the largest process run (ehbot's training): {train_peak:.0f} MB",
        f"cross-validation took {cv_seconds:.0f} s for {folds} folds",
    ] + [f"lowest F1, {label} (label F1 (examples)): {', '.join(got['weakest'])}"
         for label, got in (("held out", held), ("cross-validation", cv)) if got["weakest"]]
    publish(out, "nlu", title, figures, header + [f"mode: {mode}"], notes, end_load, results_dir)
    return figures


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="3-fold cross-validation")
    mode.add_argument("--smoke", action="store_true", help="checks that it runs: the same steps on the bare bot, 2 folds")
    parser.add_argument("--results", type=Path, help="where to write nlu.json (default benchmarks/results)")
    args = parser.parse_args(argv)
    run("smoke" if args.smoke else "quick" if args.quick else "full", args.results,
        out=lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
