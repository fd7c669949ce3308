"""Understanding: the development set's guidance questions and case messages, played to ehbot.

    python benchmarks/understanding.py                 # through the core (no NLU), then over REST
                                                       # against the stack started as `make run` does
    python benchmarks/understanding.py --core          # through the core only (seconds)
    python benchmarks/understanding.py --rest URL      # over REST against a running stack
    python benchmarks/understanding.py --failures      # also list what failed (ids and categories)

Prints the pass rate per file and per category against the targets, the categories of
what was given instead (a confusion table: which workflow answered), every reply that
recorded or proposed the opposite of what was said, and writes the figures to
benchmarks/results/understanding.json. The set's sentences are never printed: it is a
measure, not a source of examples.
"""
from __future__ import annotations

import collections
import sys
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _devset  # noqa: E402
from _report import Figure, load_average, machine, publish  # noqa: E402

GUIDANCE_TARGET = 0.95
CASE_TARGET = 0.95
# What kind of answer a reply was, for the confusion table (first match wins).
KINDS = (
    ("safeguarding", r"needs acting on now"),
    ("proposal", r"Shall I record it\?"),
    ("may-I answer", r"^(?:Yes, you can|Not yet on|Yes, and it's already done|I can't tell yet|No: )"),
    ("not done", r"^Noted: .* not done yet"),
    ("which case?", r"^Which case is this about"),
    ("which step?", r"^Which step do you mean"),
    ("not covered", r"doesn't cover that"),
    ("guidance", r"Source: "),
    ("status", r"^C-\d+: .*\(as of "),
    ("due list", r"^(?:Due on your cases|Overdue on|Nothing is due|Nothing is overdue)"),
    ("ladder", r"ladder"),
    ("checklist", r"[Pp]re-closure check"),
    ("out of scope", r"not something I can help with"),
    ("small talk", r"^(?:Hello|You're welcome|Bye)"),
    ("not sure", r"not sure what you mean"),
)


def kind(reply: str) -> str:
    import re

    for name, pattern in KINDS:
        if re.search(pattern, reply, re.M):
            return name
    return "other"


def run(player, show_failures: bool, out=print) -> tuple[list[Figure], list[str]]:
    notes: list[str] = []
    questions = _devset.load("guidance_questions.yaml")
    by_kind: dict[str, list[bool]] = collections.defaultdict(list)
    by_doc: dict[str, list[bool]] = collections.defaultdict(list)
    failed_guidance = []
    for item in questions:
        played = player(item["q"], "sam.sw")
        ok = _devset.guidance_passes(item, played.text)
        by_kind[item["kind"]].append(ok)
        by_doc[item["id"].split("-")[0]].append(ok)
        if not ok:
            failed_guidance.append((item["id"], kind(played.text)))
    guidance_ok = sum(ok for oks in by_kind.values() for ok in oks)
    out(f"guidance questions: {guidance_ok}/{len(questions)}")
    for name, oks in sorted(by_doc.items()):
        out(f"  {name:6} {sum(oks)}/{len(oks)}")
    for name, oks in sorted(by_kind.items()):
        out(f"  kind {name}: {sum(oks)}/{len(oks)}")

    categories = _devset.load("case_messages.yaml")
    case_total = case_ok = 0
    confusion: dict[str, collections.Counter] = {}
    opposite, wrote = [], []
    per_category = []
    for name, category in categories.items():
        user = _devset.SENDERS.get(category.get("as"), "sam.sw")
        ref = _devset.CASE_FOR.get(name, "C-1042")
        got = collections.Counter()
        passed = 0
        for n, message in enumerate(category["say"]):
            played = player(message.replace("{ref}", ref), user)
            ok = _devset.case_passes(category, played.text)
            passed += ok
            got[kind(played.text)] += 1
            if _devset.matches(category.get("never"), played.text):
                opposite.append(f"{name} #{n + 1}")
            if played.wrote:
                wrote.append(f"{name} #{n + 1} ({played.wrote} rows)")
        case_total += len(category["say"])
        case_ok += passed
        confusion[name] = got
        per_category.append(f"  {name:30} {passed}/{len(category['say'])}   answered as: "
                            + ", ".join(f"{k} {v}" for k, v in got.most_common()))
    out(f"case messages: {case_ok}/{case_total}")
    for line in per_category:
        out(line)
    out(f"replies matching the category's misreading (the opposite of what was said): {len(opposite)}"
        + (f" ({', '.join(opposite)})" if opposite else ""))
    out(f"messages that wrote to the case database (none should): {len(wrote)}"
        + (f" ({', '.join(wrote)})" if wrote else ""))
    if show_failures:
        out("guidance questions failed (id: answered as): " + "; ".join(f"{i}: {k}" for i, k in failed_guidance))
    figures = [
        Figure("guidance questions with the right facts", "share", guidance_ok / len(questions), target=GUIDANCE_TARGET,
               at_least=True),
        Figure("case messages understood", "share", case_ok / case_total, target=CASE_TARGET, at_least=True),
        Figure("replies reading the opposite of what was said", "messages", float(len(opposite)), target=0.0),
        Figure("messages that wrote to the case database", "messages", float(len(wrote)), target=0.0),
    ]
    notes.append("guidance questions by document: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(by_doc.items())))
    notes.append(f"{case_ok}/{case_total} case messages in {len(categories)} categories")
    return figures, notes


def nlu_figures(results_dir: Optional[Path]) -> list[str]:
    """The project's own held-out and cross-validation figures (benchmarks/nlu.py's last run)."""
    import json

    path = (results_dir or HERE / "results") / "nlu.json"
    if not path.is_file():
        return ["the project's own NLU figures: not measured yet (benchmarks/nlu.py)"]
    figures = json.loads(path.read_text())["figures"]
    return ["the project's own NLU figures, beside these (benchmarks/nlu.py): "
            + "; ".join(f"{f['name']} {f['value']:.3f}" for f in figures if f["unit"] == "accuracy")]


def main(argv: Optional[list[str]] = None) -> int:
    args = _devset.arguments(
        __doc__.splitlines()[0], "through the core only: start no stack",
        "the REST webhook of a running stack (e.g. http://127.0.0.1:5005/webhooks/rest/webhook)", argv,
        extra=lambda p: p.add_argument("--failures", action="store_true", help="list the ids that failed"))
    if _devset.missing():
        return 0
    header = machine()
    for line in header:
        print(line)
    print("=== through the core (Conversation.respond, no NLU) on a fresh copy of the demo data")
    started = time.perf_counter()
    with _devset.core_player() as player:
        figures, notes = run(player, args.failures)
    notes.append(f"through the core in {time.perf_counter() - started:.0f} s")
    notes += nlu_figures(args.results_dir)
    publish(print, "understanding", "Understanding (development set), through the core", figures, header, notes,
            load_average(), args.results_dir)
    with _devset.rest_or_started(args.rest, start=not args.core) as url:
        if url:
            print(f"=== over REST: {url}")
            started = time.perf_counter()
            with _devset.rest_player(url) as player:
                figures, notes = run(player, args.failures)
            notes.append(f"over REST in {time.perf_counter() - started:.0f} s")
            notes += nlu_figures(args.results_dir)
            publish(print, "understanding-rest", "Understanding (development set), over REST", figures, header,
                    notes, load_average(), args.results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
