"""A fictional history for the demo: closed Early Help and CADS cases of the past months,
with steps done sooner or later against their timescales, so that the timeliness view
(``ehbot report timeliness``) shows real variation. Seeded, so the same every time for the
same day; every name in it says it is fictional.

The delays are drawn per worker: one mostly early, one mostly on time, one often late.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from bot import clock
from bot.calendar import WorkingCalendar
from bot.db.episodes import EpisodeRepository
from bot.db.repositories import CaseNotFound, CaseRepository
from bot.guidance.model import Period
from bot.importer import import_cases

FIRST = 7001
CASES = 48
SEED = 16
# worker, team, manager, the factors their delays are drawn from (1: the whole timescale)
WORKERS = (
    ("erin.ehw", "Demo North Team", "tess.tm", (0.3, 0.5, 0.7, 0.9, 1.0, 1.0, 1.2)),
    ("sam.sw", "Demo North Team", "tess.tm", (0.5, 0.8, 1.0, 1.0, 1.3, 1.6, 2.0)),
    ("pat.sw", "Demo South Team", "tom.tm", (0.6, 0.9, 1.0, 1.2, 1.5, 2.0, 2.5)),
)


def reference(n: int) -> str:
    return f"C-{FIRST + n}"


def _loaded(session: Session) -> bool:
    try:
        CaseRepository(session).find(reference(0))
        return True
    except CaseNotFound:
        return False


def _late(cal: WorkingCalendar, start: dt.date, period: Period, factor: float) -> dt.date:
    return cal.add(start, Period(period.unit, max(0, round(period.amount * factor))))


def load_history(session: Session) -> str:
    if _loaded(session):
        return "demo history already loaded: nothing changed"
    rng = random.Random(SEED)
    cal = WorkingCalendar.from_config()
    today = clock.today()
    plans = []
    for n in range(CASES):
        worker, team, manager, factors = WORKERS[n % len(WORKERS)]
        early_help = n % 4 != 3
        opened = cal.add(today - dt.timedelta(days=rng.randint(120, 230)), Period("working_days", 0))
        plans.append((reference(n), "early-help-allocation" if early_help else "cads-progress-to-caf",
                      team, worker, manager, factors, opened))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["reference", "pathway", "team", "child_name", "opened_on", "allocated_worker", "team_manager",
                          "caf_link_worker", "referrer_advice_only", "referrer_name", "referrer_agency"])
            for ref, pathway, team, worker, manager, _, opened in plans:
                out.writerow([ref, pathway, team, f"Fictional Child History {ref[2:]}", opened.isoformat(), worker,
                              manager, "cleo.clw" if team == "Demo North Team" else "", "no", "Demo Referrer",
                              "Demo Primary School"])
        import_cases(session, path, actor="demo")
    repo, episodes = CaseRepository(session), EpisodeRepository(session)
    for ref, pathway, _, worker, manager, factors, opened in plans:
        pick = lambda: rng.choice(factors)  # noqa: E731
        steps = _early_help(cal, opened, pick) if pathway == "early-help-allocation" else _cads(cal, opened, pick)
        last = opened
        for rule_id, when, outcome in steps:
            if when >= today:
                break
            by = manager if rule_id in MANAGERS_STEPS else worker
            if rule_id == "cads.lead-professional-agreed":
                repo.set_lead_professional(ref, "Demo Lead (demo)", role="school nurse", agency="Demo Primary School",
                                           by_username=worker, from_date=when)
            if rule_id == "cads.informed-consent":
                repo.record_consent(ref, "engage", "given", when.isoformat(), worker, given_by="parent (demo)")
                last = max(last, when)
                continue
            repo.record_step(ref, rule_id, when.isoformat(), by, outcome=outcome, source="demo")
            last = max(last, when)
        closed = min(last + dt.timedelta(days=rng.randint(3, 20)), today - dt.timedelta(days=1))
        episodes.close_case(ref, closed, "demo history", manager)
    return f"demo history loaded: {CASES} closed fictional cases ({reference(0)} to {reference(CASES - 1)})"


MANAGERS_STEPS = {"earlyhelp.allocation", "earlyhelp.managers-decision", "cads.team-manager-oversight",
                  "earlyhelp.caf-authorised"}


def _early_help(cal: WorkingCalendar, opened: dt.date, pick) -> list[tuple[str, dt.date, object]]:
    wd = lambda n: Period("working_days", n)  # noqa: E731
    steps = [("earlyhelp.allocation", opened, "other"), ("earlyhelp.managers-decision", opened, "caf_required")]
    phoned = _late(cal, opened, wd(2), pick())
    visited = max(phoned, _late(cal, opened, wd(5), pick()))
    steps += [("earlyhelp.telephone-contact", phoned, None), ("earlyhelp.personal-contact", visited, None),
              ("earlyhelp.start-caf", visited, None),
              ("earlyhelp.caf-completed", max(visited, _late(cal, opened, wd(20), pick())), None)]
    taf = max(visited, _late(cal, opened, wd(25), pick()))
    steps.append(("earlyhelp.first-taf", taf, None))
    steps.append(("earlyhelp.first-taf-minutes", _late(cal, taf, wd(15), pick()), None))
    review = taf
    for _ in range(2):
        review = _late(cal, review, Period("weeks", 8), min(pick(), 1.4))
        steps.append(("earlyhelp.taf-review", review, None))
        steps.append(("earlyhelp.taf-review-minutes", _late(cal, review, wd(15), pick()), None))
    supervision = opened
    while True:  # monthly until the last review: the case closes soon after it
        supervision = _late(cal, supervision, Period("months", 1), min(pick(), 1.3))
        if supervision > review:
            break
        steps.append(("earlyhelp.supervision", supervision, None))
        steps.append(("earlyhelp.supervision-record-returned", _late(cal, supervision, wd(10), pick()), None))
        steps.append(("earlyhelp.supervision-record-authorised", _late(cal, supervision, wd(20), pick()), None))
    return sorted(steps, key=lambda s: s[1])


def _cads(cal: WorkingCalendar, opened: dt.date, pick) -> list[tuple[str, dt.date, object]]:
    signed = cal.add(opened, Period("working_days", 1))
    steps = [("cads.assessment-outcome", opened, None), ("cads.recommendation-to-team-manager", opened, None),
             ("cads.team-manager-oversight", signed, None), ("cads.informed-consent", signed, None),
             ("cads.update-referrer", signed, None), ("cads.alert-caf-link-worker", signed, None),
             ("cads.lead-professional-agreed", cal.add(signed, Period("working_days", 2)), "agreed")]
    fpm = max(steps[-1][1], _late(cal, opened, Period("weeks", 4), pick()))
    steps.append(("cads.initial-family-planning-meeting", fpm, None))
    review = fpm
    for _ in range(2):
        review = _late(cal, review, Period("weeks", 8), min(pick(), 1.4))
        steps.append(("cads.family-plan-review", review, None))
    return sorted(steps, key=lambda s: s[1])
