"""Situations: a case as recorded, a day, and what the guidance makes of it, kept in YAML
beside the packs (``packs/situations/<pack>.yaml``) so that a practice lead can write one
without Python. ``make test`` runs them all; ``ehbot packs situations`` prints each result.

A situation::

    - name: the CAF's closure stops its Family Planning Meeting reviews
      finding: W1                      # optional: the review finding it holds to
      case:
        pathway: cads-progress-to-caf
        opened_on: 2026-11-02
        referrer_advice_only: false    # optional, like every fact below
        lead_professional: school nurse
        consents: [{kind: engage, status: given, date: 2026-11-12}]
        steps:
          - {rule: cads.assessment-outcome, date: 2026-11-10}
          - {rule: cads.lead-professional-agreed, date: 2026-11-12, outcome: agreed}
        bookings: [{rule: cads.initial-family-planning-meeting, for: 2026-12-01}]
      today: 2027-03-01
      expect:
        cads.initial-family-planning-meeting: done          # a state alone, or:
        cads.family-plan-review: {state: not_applicable, due: null, overdue: false}

Dates are written ``date:`` (YAML would read a key ``on`` as "yes"). States are done, todo, blocked, not_applicable, needs_information and option; ``due`` is
the date a step falls due (``due_from`` the first day it may be done), ``blocked_by`` words
found in one of its blockers, ``owner`` the guidance's role name for who does it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from bot.casefile import Booking, CaseFile, ConsentRecord, Person, RecordedStep
from bot.guidance import Registry
from bot.pathways import STATES, evaluate

SITUATIONS_DIR = Path(__file__).with_name("packs") / "situations"
# Who works every situation's case: fictional, so that owners and sign-offs resolve.
WORKER = Person("Sam Social (situation)", username="situation.sw", role="social_worker")
MANAGER = Person("Tess Manager (situation)", username="situation.tm", role="team_manager")
CHECKS = ("state", "due", "due_from", "overdue", "blocked_by", "owner")


class SituationError(ValueError):
    """A situation file that cannot be read as written; the message says where."""


@dataclass
class Situation:
    name: str
    source: str  # file and position, for messages
    case: CaseFile
    today: dt.date
    expect: dict[str, dict[str, Any]]
    finding: Optional[str] = None
    problems: list[str] = field(default_factory=list)


def _date(value, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise SituationError(f"{where}: {value!r} is not a date like 2026-11-23") from None


def _case(raw: dict, where: str) -> CaseFile:
    if not isinstance(raw, dict) or "pathway" not in raw or "opened_on" not in raw:
        raise SituationError(f"{where}: case needs at least pathway and opened_on")
    lead = raw.get("lead_professional")
    return CaseFile(
        reference=str(raw.get("reference", "S-1")),
        pathway=raw["pathway"],
        opened_on=_date(raw["opened_on"], where),
        allocated_worker=WORKER,
        team_manager=MANAGER,
        lead_professional=Person(str(lead), role=str(lead)) if lead else None,
        referrer=Person("the referrer", role="referrer") if raw.get("referrer", True) else None,
        referrer_advice_only=raw.get("referrer_advice_only"),
        closed_on=_date(raw["closed_on"], where) if raw.get("closed_on") else None,
        steps=[RecordedStep(s["rule"], _date(s["date"], where), outcome=s.get("outcome"), source="import")
               for s in raw.get("steps") or ()],
        consents=[ConsentRecord(c["kind"], c["status"], _date(c["date"], where), obtained_by=c.get("by"),
                                basis=c.get("basis")) for c in raw.get("consents") or ()],
        bookings=[Booking(b["rule"], _date(b["for"], where)) for b in raw.get("bookings") or ()],
    )


def _expectations(raw: dict, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, dict) or not raw:
        raise SituationError(f"{where}: expect names at least one rule")
    found = {}
    for rule_id, wanted in raw.items():
        wanted = {"state": wanted} if isinstance(wanted, str) else dict(wanted or {})
        unknown = set(wanted) - set(CHECKS)
        if unknown:
            raise SituationError(f"{where}: {rule_id}: unknown check(s) {', '.join(sorted(unknown))}")
        if "state" in wanted and wanted["state"] not in STATES:
            raise SituationError(f"{where}: {rule_id}: state {wanted['state']!r} is not one of {', '.join(STATES)}")
        for key in ("due", "due_from"):
            if wanted.get(key) is not None:
                wanted[key] = _date(wanted[key], f"{where}: {rule_id}")
        found[rule_id] = wanted
    return found


def load(directory: Path = SITUATIONS_DIR) -> list[Situation]:
    found = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SituationError(f"{path.name}: not readable as YAML ({exc})") from None
        for n, item in enumerate(raw.get("situations") or (), start=1):
            where = f"{path.name} #{n}"
            try:
                found.append(Situation(
                    name=str(item["name"]), source=where, case=_case(item.get("case"), where),
                    today=_date(item["today"], where), expect=_expectations(item.get("expect"), where),
                    finding=item.get("finding")))
            except (KeyError, TypeError) as exc:
                raise SituationError(f"{where}: missing or malformed {exc}") from None
    return found


def check(situation: Situation, registry: Registry) -> list[str]:
    """What differs between the situation's expectations and the evaluator's view: [] when all hold."""
    problems = [f"{rule_id} is not a rule of the packs" for rule_id in situation.expect if rule_id not in registry.rules]
    if situation.case.pathway not in registry.pathways:
        return problems + [f"pathway {situation.case.pathway} is not in the packs"]
    if problems:
        return problems
    view = evaluate(situation.case, today=situation.today, registry=registry)
    on_pathway = {s.rule_id: s for s in view.steps}
    for rule_id, wanted in situation.expect.items():
        step = on_pathway.get(rule_id)
        if step is None:
            problems.append(f"{rule_id} is not on pathway {situation.case.pathway}")
            continue
        got = {"state": step.state, "due": step.due_on, "due_from": step.due_from, "overdue": step.overdue,
               "owner": step.owner_label}
        for key, value in wanted.items():
            if key == "blocked_by":
                if not any(str(value) in b for b in step.blockers):
                    problems.append(f"{rule_id}: no blocker says {value!r} (blockers: {step.blockers})")
            elif got[key] != value:
                problems.append(f"{rule_id}: {key} is {got[key]!r}, expected {value!r}")
    return problems
