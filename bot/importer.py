"""Import practitioners, cases, recorded steps and case episodes (closing, reopening) from CSV files.

Files are UTF-8 CSV (an Excel byte-order mark is fine) with a header row.
Column names are as below, in any order; a column marked * must be present and
filled in on every row; other columns may be left out or left blank.

practitioners.csv
    username*        the practitioner's ehbot login, e.g. jsmith
    display_name*    e.g. Jo Smith
    role*            social_worker, team_manager, caf_link_worker, front_door_officer,
                     early_help_worker, family_support_worker, eh_ss_manager,
                     cadsso_team_manager, line_manager, lead_professional, admin
    team*            the team's name; a team not yet in ehbot is created
    email
    slack_user_id    e.g. U0123ABCD (each belongs to one practitioner)
    teams_user_id    the Microsoft Teams user id (each belongs to one practitioner)

cases.csv
    reference*       e.g. C-1042 (c1042 and "c 1042" are read as C-1042)
    pathway*         a pathway id from the guidance packs, e.g. cads-progress-to-caf
    team*            an existing team (import practitioners first)
    child_name*      kept on the case only; never shown in channels, logs or the audit trail
    opened_on*       YYYY-MM-DD, not in the future
    allocated_worker, team_manager, caf_link_worker
                     usernames of practitioners already in ehbot
    referrer_name, referrer_agency
    referrer_advice_only
                     yes or no (true/false, y/n, 1/0); blank means not recorded
    lead_professional_name, lead_professional_role, lead_professional_agency
                     e.g. "Sam Patel", "school nurse", "Oakfield Primary"

steps.csv
    case_reference*  a case already in ehbot
    rule_id*         a step of the case's guidance pack, e.g. cads.assessment-outcome
    done_on*         YYYY-MM-DD, not in the future and not before the case opened
    outcome          required when the step has outcomes (e.g. agreed or none_found)
    recorded_by      username of a practitioner already in ehbot
    note

episodes.csv
    case_reference*  a case already in ehbot
    action*          close (the case's current episode ends) or reopen (a closed case is
                     re-referred: a new episode starts, the earlier one kept as history)
    on*              YYYY-MM-DD, not in the future; a close not before the episode opened,
                     a reopen not before the case closed
    reason           e.g. "plan met", "re-referred by the school" (kept on the case only)
    pathway          for a reopen: the new episode's pathway (default: the case's last one)
    recorded_by      username of a practitioner already in ehbot
    Rows are applied in file order, so a file may close a case and reopen it later.

Every row is checked before anything is written. All problems are reported
together as "row N: reason", N being the line in the file (the header is row 1);
if there is any problem nothing is written. Importing the same file again changes
nothing: rows are matched on username, case reference, case + rule + date, and
case + action + date.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

from sqlalchemy.orm import Session
from tqdm import tqdm

from bot import clock, guidance
from bot.db.episodes import EpisodeRepository
from bot.db.models import ROLES, Case, Practitioner, RecordedStepRow, Team
from bot.db.repositories import (
    AuditLog,
    CaseRepository,
    PractitionerRepository,
    RecordRejected,
    audit_event,
    check_step_rule,
    normalise_reference,
)

PROGRESS_FROM_ROWS = 1000
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
YES, NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0")


class ImportRejected(ValueError):
    """The file has problems; nothing was written. ``errors`` holds "row N: reason" lines."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        self.audit = None  # set by the importer; bot.db.session.session_scope writes it
        super().__init__(f"{len(errors)} problem(s), nothing imported:\n" + "\n".join(errors))


@dataclass
class ImportSummary:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def describe(self) -> str:
        return f"{self.kind}: {self.created} created, {self.updated} updated, {self.unchanged} unchanged"

    __str__ = describe


# ---- reading and checking one row ---------------------------------------------------


class _Row:
    """One CSV row's values (stripped, blank as None) and the problems found in it."""

    def __init__(self, number: int, values: dict):
        self.number = number
        self.values = {k: v.strip() or None for k, v in values.items() if k}
        self.problems: list[str] = []

    def get(self, column: str) -> Optional[str]:
        return self.values.get(column)

    def required(self, column: str) -> Optional[str]:
        value = self.get(column)
        if value is None:
            self.problems.append(f"{column} is empty")
        return value

    def past_date(self, column: str) -> Optional[dt.date]:
        raw = self.required(column)
        if raw is None:
            return None
        try:
            day = dt.date.fromisoformat(raw) if ISO_DATE.match(raw) else None
        except ValueError:
            day = None
        if day is None:
            self.problems.append(f"{column} {raw!r} is not a date like 2026-11-23")
        elif day > clock.today():
            self.problems.append(f"{column} {day} is in the future (today is {clock.today()})")
        return day

    def yes_no(self, column: str) -> Optional[bool]:
        raw = (self.get(column) or "").lower()
        if raw and raw not in YES + NO:
            self.problems.append(f"{column} must be yes or no (or blank if not known)")
        return True if raw in YES else False if raw in NO else None

    def once(self, seen: dict, key, what: str) -> None:
        if key in seen:
            self.problems.append(f"{what} is also on row {seen[key]}")
        else:
            seen[key] = self.number


def _read(path: Union[str, Path], required: tuple, optional: tuple) -> list[_Row]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        _check_header(header, required, optional)
        rows, last_line = [], reader.line_num
        for values in reader:
            # A row's number is the line it starts on (a quoted note may run over several).
            row = _Row(last_line + 1, dict(zip(header, values)))
            last_line = reader.line_num
            if len(values) > len(header):
                row.problems.append("more values than there are columns")
            if any(row.values.values()) or row.problems:
                rows.append(row)
        return rows


def _check_header(header: list, required: tuple, optional: tuple) -> None:
    if not header:
        raise ImportRejected(["row 1: the file is empty (it needs a header row)"])
    errors = []
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c and c not in required + optional]  # blank: a trailing comma
    if missing:
        errors.append(f"row 1: missing column(s) {', '.join(missing)}")
    if unknown:
        errors.append(f"row 1: unknown column(s) {', '.join(unknown)} (known: {', '.join(required + optional)})")
    if errors:
        raise ImportRejected(errors)


def _progress(items: list, desc: str) -> Iterable:
    quiet = len(items) < PROGRESS_FROM_ROWS or not sys.stderr.isatty()
    return tqdm(items, desc=f"importing {desc}", unit="row", file=sys.stderr, disable=quiet, leave=False)


def _update(obj, fields: dict) -> bool:
    """Set the fields that differ; True if any did."""
    changed = [k for k, v in fields.items() if getattr(obj, k) != v]
    for key in changed:
        setattr(obj, key, fields[key])
    return bool(changed)


# ---- the three kinds of file -----------------------------------------------------------


class _Practitioners:
    kind = "practitioners"
    required = ("username", "display_name", "role", "team")
    optional = ("email", "slack_user_id", "teams_user_id")

    def __init__(self, session: Session):
        self.session = session
        repo = PractitionerRepository(session)
        self.existing = repo.all_by_username()
        self.teams = repo.teams_by_name()
        self.seen: dict = {}
        self.chat_ids = {  # (column, chat user id) -> username
            (k, getattr(p, k)): p.username for p in self.existing.values() for k in self.optional[1:] if getattr(p, k)
        }

    def check(self, row: _Row) -> dict:
        item = {c: row.get(c) for c in self.required + self.optional}
        for column in self.required:
            row.required(column)
        if item["role"] and item["role"] not in ROLES:
            row.problems.append(f"role {item['role']!r} is not one of {', '.join(ROLES)}")
        if item["email"] and "@" not in item["email"]:
            row.problems.append("email is not an email address")
        if item["username"]:
            row.once(self.seen, item["username"], f"username {item['username']}")
        for column in self.optional[1:]:
            self._check_chat_id(row, column, item)
        return item

    def _check_chat_id(self, row: _Row, column: str, item: dict) -> None:
        value = item[column]
        if not value:
            return
        owner = self.chat_ids.get((column, value))
        if owner and owner != item["username"]:
            row.problems.append(f"{column} {value} already belongs to {owner}")
        self.chat_ids[(column, value)] = item["username"]

    def write(self, item: dict) -> str:
        team = self.teams.get(item["team"])
        if team is None:
            team = self.teams[item["team"]] = Team(name=item["team"])
            self.session.add(team)
        fields = {k: item[k] for k in ("display_name", "role", "email", "slack_user_id", "teams_user_id")}
        found = self.existing.get(item["username"])
        if found is None:
            self.session.add(Practitioner(username=item["username"], team=team, active=True, **fields))
            return "created"
        return "updated" if _update(found, {**fields, "team": team}) else "unchanged"


class _Cases:
    kind = "cases"
    required = ("reference", "pathway", "team", "child_name", "opened_on")
    people = ("allocated_worker", "team_manager", "caf_link_worker")
    text = (
        "referrer_name",
        "referrer_agency",
        "lead_professional_name",
        "lead_professional_role",
        "lead_professional_agency",
    )
    optional = people + text + ("referrer_advice_only",)

    def __init__(self, session: Session, references: list[str]):
        self.session = session
        repo = PractitionerRepository(session)
        self.practitioners, self.teams = repo.all_by_username(), repo.teams_by_name()
        self.existing = CaseRepository(session).by_references(references)
        self.pathways = guidance.registry().pathways
        self.seen: dict = {}

    def check(self, row: _Row) -> dict:
        item = {c: row.get(c) for c in ("pathway", "team", "child_name") + self.text}
        item["reference"] = self._reference(row)
        item["opened_on"] = row.past_date("opened_on")
        item["referrer_advice_only"] = row.yes_no("referrer_advice_only")
        for column in ("pathway", "team", "child_name"):
            row.required(column)
        if item["pathway"] and item["pathway"] not in self.pathways:
            row.problems.append(f"pathway {item['pathway']!r} is not in the guidance packs")
        if item["team"] and item["team"] not in self.teams:
            row.problems.append(f"there is no team {item['team']!r} (import practitioners first)")
        for column in self.people:
            item[column] = self._practitioner(row, column)
        return item

    def _reference(self, row: _Row) -> Optional[str]:
        raw = row.required("reference")
        ref = normalise_reference(raw) if raw else None
        if raw and ref is None:
            row.problems.append("reference is not a case reference like C-1042")
        if ref:
            row.once(self.seen, ref, f"case {ref}")
        return ref

    def _practitioner(self, row: _Row, column: str) -> Optional[Practitioner]:
        username = row.get(column)
        if username and username not in self.practitioners:
            row.problems.append(f"{column} {username} is not a practitioner in ehbot (import practitioners first)")
        return self.practitioners.get(username) if username else None

    def write(self, item: dict) -> str:
        fields = {k: v for k, v in item.items() if k not in ("reference", "team")}
        fields["team"] = self.teams[item["team"]]
        found = self.existing.get(item["reference"])
        if found is None:
            self.session.add(Case(reference=item["reference"], **fields))
            return "created"
        if found.episode > 1:
            # A reopened case's opening date is its current episode's (episodes.csv sets it).
            fields.pop("opened_on")
        return "updated" if _update(found, fields) else "unchanged"


class _Steps:
    kind = "steps"
    required = ("case_reference", "rule_id", "done_on")
    optional = ("outcome", "recorded_by", "note")

    def __init__(self, session: Session, references: list[str]):
        self.session = session
        repo = CaseRepository(session)
        self.cases = repo.by_references(references)
        self.existing = repo.steps_of(c.id for c in self.cases.values())
        self.practitioners = PractitionerRepository(session).all_by_username()
        self.seen: dict = {}

    def check(self, row: _Row) -> dict:
        item = {c: row.get(c) for c in ("rule_id", "outcome", "note")}
        item["case"] = self._case(row)
        item["done_on"] = row.past_date("done_on")
        item["recorded_by"] = self._recorder(row)
        if row.required("rule_id") and item["case"]:
            self._check_rule(row, item)
        if item["case"] and item["rule_id"] and item["done_on"]:
            key = (item["case"].reference, item["rule_id"], item["done_on"])
            row.once(self.seen, key, "the same step on the same day")
        return item

    def _case(self, row: _Row) -> Optional[Case]:
        raw = row.required("case_reference")
        ref = normalise_reference(raw) if raw else None
        if raw and ref not in self.cases:
            row.problems.append(f"there is no case {ref}" if ref else "case_reference is not like C-1042")
        return self.cases.get(ref)

    def _recorder(self, row: _Row) -> Optional[Practitioner]:
        username = row.get("recorded_by")
        if username and username not in self.practitioners:
            row.problems.append(f"recorded_by {username} is not a practitioner in ehbot")
        return self.practitioners.get(username) if username else None

    def _check_rule(self, row: _Row, item: dict) -> None:
        case = item["case"]
        try:
            check_step_rule(item["rule_id"], case.pathway, item["outcome"])
        except RecordRejected as exc:
            row.problems.append(exc.reason)
        day = item["done_on"]
        if day and day < case.opened_on:
            row.problems.append(f"done_on {day} is before case {case.reference} was opened ({case.opened_on})")
        if day and case.closed_on and day > case.closed_on:
            row.problems.append(f"done_on {day} is after case {case.reference} was closed ({case.closed_on})")
        found = self.existing.get((case.id, item["rule_id"], day))
        if found is not None and found.episode != case.episode:
            row.problems.append(f"{item['rule_id']} is recorded on {day} in an earlier episode of {case.reference}")

    def write(self, item: dict) -> str:
        case = item["case"]
        fields = {"outcome": item["outcome"], "note": item["note"], "recorded_by": item["recorded_by"]}
        found = self.existing.get((case.id, item["rule_id"], item["done_on"]))
        if found is None:
            row = RecordedStepRow(case=case, rule_id=item["rule_id"], done_on=item["done_on"], source="import",
                                  episode=case.episode, **fields)
            self.session.add(row)
            return "created"
        return "updated" if _update(found, fields) else "unchanged"


class _Episodes:
    kind = "episodes"
    required = ("case_reference", "action", "on")
    optional = ("reason", "pathway", "recorded_by")
    actions = ("close", "reopen")

    def __init__(self, session: Session, references: list[str]):
        self.session = session
        self.cases = CaseRepository(session).by_references(references)
        self.practitioners = PractitionerRepository(session).all_by_username()
        self.pathways = guidance.registry().pathways
        # Each case as the rows before this one leave it: (episode, opened_on, closed_on).
        self.state = {ref: (c.episode, c.opened_on, c.closed_on) for ref, c in self.cases.items()}
        # Closes and reopens already recorded: importing them again changes nothing.
        self.known = {ref: _recorded_events(c) for ref, c in self.cases.items()}

    def check(self, row: _Row) -> dict:
        raw = row.required("case_reference")
        ref = normalise_reference(raw) if raw else None
        if raw and ref not in self.cases:
            row.problems.append(f"there is no case {ref}" if ref else "case_reference is not like C-1042")
        action = (row.required("action") or "").lower()
        if action and action not in self.actions:
            row.problems.append(f"action must be close or reopen, not {action!r}")
        day = row.past_date("on")
        pathway, by = row.get("pathway"), row.get("recorded_by")
        if pathway and (action != "reopen" or pathway not in self.pathways):
            row.problems.append(f"pathway {pathway!r} is not in the guidance packs" if action == "reopen"
                                else "a pathway is given only when a case is reopened")
        if by and (by not in self.practitioners or not self.practitioners[by].active):
            row.problems.append(f"recorded_by {by} is not an active practitioner in ehbot")
        item = {"reference": ref, "action": action, "on": day, "reason": row.get("reason"), "pathway": pathway,
                "recorded_by": by, "unchanged": False}
        if ref in self.state and action in self.actions and day:
            if (action, day) in self.known[ref]:
                item["unchanged"] = True
            else:
                self._follow(row, item)
        return item

    def _follow(self, row: _Row, item: dict) -> None:
        """Check the row against the case as earlier rows leave it, and move it on."""
        ref, day = item["reference"], item["on"]
        episode, opened, closed = self.state[ref]
        if item["action"] == "close":
            if closed is not None:
                row.problems.append(f"{ref} is already closed (since {closed})")
            elif day < opened:
                row.problems.append(f"on {day} is before {ref}'s episode opened ({opened})")
            else:
                self.state[ref] = (episode, opened, day)
        elif closed is None:
            row.problems.append(f"{ref} is open: there is nothing to reopen")
        elif day < closed:
            row.problems.append(f"on {day} is before {ref} was closed ({closed})")
        else:
            self.state[ref] = (episode + 1, day, None)

    def write(self, item: dict) -> str:
        if item["unchanged"]:
            return "unchanged"
        repo = EpisodeRepository(self.session)
        if item["action"] == "close":
            repo.close_case(item["reference"], item["on"], item["reason"], item["recorded_by"])
        else:
            repo.reopen_case(item["reference"], item["on"], item["reason"], item["recorded_by"], item["pathway"])
        return "updated"


def _recorded_events(case: Case) -> set:
    events = {("close", e.closed_on) for e in case.episodes if e.closed_on}
    events |= {("reopen", e.opened_on) for e in case.episodes if e.number > 1}
    if case.closed_on:
        events.add(("close", case.closed_on))
    return events


# ---- running an import ------------------------------------------------------------------


def _references(rows: list[_Row], column: str) -> list[str]:
    return [ref for ref in (normalise_reference(r.get(column) or "") for r in rows) if ref]


def _run(session: Session, path: Union[str, Path], kind, actor: str, reference_column: Optional[str] = None):
    try:
        rows = _read(path, kind.required, kind.optional)
        importer = kind(session, _references(rows, reference_column)) if reference_column else kind(session)
        summary = _write(session, importer, [importer.check(row) for row in rows], rows)
    except ImportRejected as rejected:
        rejected.audit = audit_event(actor, "refused", None, f"import {kind.kind}: {len(rejected.errors)} problem(s)")
        raise
    AuditLog(session).record(actor, "import", None, summary.describe())
    return summary


def _write(session: Session, importer, items: list, rows: list[_Row]) -> ImportSummary:
    errors = [f"row {row.number}: {problem}" for row in rows for problem in row.problems]
    if errors:
        raise ImportRejected(errors)
    summary = ImportSummary(importer.kind)
    for item in _progress(items, importer.kind):
        outcome = importer.write(item)
        setattr(summary, outcome, getattr(summary, outcome) + 1)
    session.flush()
    return summary


def import_practitioners(session: Session, path: Union[str, Path], actor: str = "system") -> ImportSummary:
    return _run(session, path, _Practitioners, actor)


def import_cases(session: Session, path: Union[str, Path], actor: str = "system") -> ImportSummary:
    return _run(session, path, _Cases, actor, "reference")


def import_steps(session: Session, path: Union[str, Path], actor: str = "system") -> ImportSummary:
    return _run(session, path, _Steps, actor, "case_reference")


def import_episodes(session: Session, path: Union[str, Path], actor: str = "system") -> ImportSummary:
    return _run(session, path, _Episodes, actor, "case_reference")
