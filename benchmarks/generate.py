"""A fictional case load for the benchmarks: teams, practitioners, open cases, recorded steps.

Fast: rows are built in Python and written with SQLAlchemy Core ``executemany``
(one INSERT statement per chunk of rows), never the ORM one row at a time.
Deterministic: the same seed, size and day give the same rows on every run.

Each case is on one of the packs' pathways (every active pathway is used) and
has about ten recorded steps, taken in the pathway's order on distinct days
between the day it was opened and today: step rules from the pack (never
consent rules, which are consent records), each outcome one the rule allows,
repeating meetings (reviews) recorded more than once. About three cases in four
have a consent record, one in twenty a booked step, two in five a lead
professional. Every name says it is fictional.

Run alone:  python benchmarks/generate.py sqlite:///tmp/bench.sqlite3 10000
(the database must be migrated: ``--migrate`` does it first).
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402

from bot import guidance  # noqa: E402
from bot.db.models import BookingRow, Case, ConsentRow, Practitioner, RecordedStepRow, Team  # noqa: E402
from bot.db.session import make_engine  # noqa: E402

TODAY = dt.date(2026, 11, 23)  # the benchmarks' fixed clock (EHBOT_TODAY), a Monday
SEED = 6
CASES_PER_TEAM = 500
CHUNK = 20_000  # rows per executemany

# How a local authority's open cases might spread over the pathways (weights, not shares of a real council).
PATHWAY_WEIGHTS = {
    "early-help-allocation": 25,
    "cads-progress-to-caf": 20,
    "front-door-contact": 14,
    "step-down-csc-to-caf": 12,
    "cads-link-existing-caf": 8,
    "front-door-transfer-to-early-help": 8,
    "cads-signpost-early-help": 7,
    "caf-support-panel": 6,
}
# A team: who is in it (role, how many).
TEAM_SHAPE = (
    ("team_manager", 1),
    ("caf_link_worker", 1),
    ("social_worker", 4),
    ("early_help_worker", 3),
    ("front_door_officer", 1),
    ("family_support_worker", 1),
)
WORKER_ROLES = ("social_worker", "early_help_worker", "front_door_officer", "family_support_worker")
SIGN_OFF_KINDS = ("sign-off",)
LEAD_ROLES = ("school nurse", "health visitor", "family support worker", "teacher")


@dataclass
class Generated:
    teams: int = 0
    practitioners: int = 0
    cases: int = 0
    steps: int = 0
    consents: int = 0
    bookings: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (f"{self.cases} cases, {self.steps} steps, {self.consents} consents, {self.bookings} bookings, "
                f"{self.practitioners} practitioners in {self.teams} teams ({self.seconds:.1f}s)")


def _pathways(registry) -> list[tuple[str, int]]:
    """Every active pathway, with its weight (a pathway added to the packs later gets weight 5)."""
    return [(pid, PATHWAY_WEIGHTS.get(pid, 5)) for pid in sorted(registry.pathways)]


def _recordable(registry, pathway_id: str) -> list:
    """The pathway's rules a practitioner records as steps, in order (consent is recorded otherwise)."""
    rules = [registry.rule(r) for r in registry.pathway(pathway_id).steps]
    return [r for r in rules if r.kind not in ("consent", "knowledge")]


def _consent_kinds(registry, pathway_id: str) -> list[str]:
    kinds = [registry.rule(r).consent for r in registry.pathway(pathway_id).steps]
    return sorted({k for k in kinds if k})


class _Builder:
    def __init__(self, registry, cases: int, seed: int, today: dt.date):
        self.reg, self.n, self.today = registry, cases, today
        self.rnd = random.Random(seed)
        self.now = dt.datetime.combine(today, dt.time(9, 0), tzinfo=dt.timezone.utc)
        pathways = _pathways(registry)
        self.pathway_ids = [p for p, _ in pathways]
        self.weights = [w for _, w in pathways]
        self.recordable = {p: _recordable(registry, p) for p in self.pathway_ids}
        self.consents = {p: _consent_kinds(registry, p) for p in self.pathway_ids}
        self.teams: list[dict] = []
        self.people: list[dict] = []
        self.staff: dict[int, dict[str, list[int]]] = {}  # team id -> role -> practitioner ids

    def organisation(self) -> None:
        n_teams = max(1, -(-self.n // CASES_PER_TEAM))
        pid = 0
        for t in range(1, n_teams + 1):
            self.teams.append({"id": t, "name": f"Bench Team {t:04d} (fictional)",
                               "slack_channel_id": f"CBENCH{t:05d}", "teams_webhook_url": None})
            roles: dict[str, list[int]] = {}
            for role, count in TEAM_SHAPE:
                for i in range(count):
                    pid += 1
                    self.people.append({
                        "id": pid, "username": f"bench.{t:04d}.{role}.{i}", "display_name": f"Bench Person {pid} (fictional)",
                        "role": role, "team_id": t, "email": None,
                        "slack_user_id": f"UB{pid:07d}" if self.rnd.random() < 0.8 else None,
                        "teams_user_id": None, "active": True,
                    })
                    roles.setdefault(role, []).append(pid)
            self.staff[t] = roles

    def case(self, cid: int) -> tuple[dict, list[dict], list[dict], list[dict]]:
        rnd = self.rnd
        pathway = rnd.choices(self.pathway_ids, self.weights)[0]
        team = rnd.randint(1, len(self.teams))
        roles = self.staff[team]
        worker = rnd.choice(roles[rnd.choice(WORKER_ROLES)])
        manager, link = roles["team_manager"][0], roles["caf_link_worker"][0]
        opened = self.today - dt.timedelta(days=rnd.randint(15, 540))
        lead = rnd.random() < 0.4
        row = {
            "id": cid, "reference": f"BN-{cid}", "pathway": pathway, "team_id": team,
            "child_name": f"Fictional Child {cid}", "opened_on": opened, "closed_on": None,
            "allocated_worker_id": worker, "team_manager_id": manager,
            "caf_link_worker_id": link if rnd.random() < 0.6 else None,
            "referrer_name": "Bench Referrer (fictional)" if rnd.random() < 0.7 else None,
            "referrer_agency": "Bench Primary School (fictional)",
            "referrer_advice_only": rnd.choice((True, False, False, None)),
            "lead_professional_name": f"Lead Professional {cid} (fictional)" if lead else None,
            "lead_professional_role": rnd.choice(LEAD_ROLES) if lead else None,
            "lead_professional_agency": "Bench Health Centre (fictional)" if lead else None,
            "lead_professional_id": rnd.choice(roles["early_help_worker"]) if lead and rnd.random() < 0.25 else None,
            "created_at": self.now, "updated_at": self.now,
        }
        steps = self._steps(cid, pathway, opened, worker, manager)
        consents = self._consents(cid, pathway, opened, worker)
        bookings = self._bookings(cid, pathway, steps, worker)
        return row, steps, consents, bookings

    def _sequence(self, pathway: str) -> list:
        """Which rules this case has recorded, in order: about ten, some skipped, reviews repeated."""
        rnd = self.rnd
        want = rnd.randint(6, 16)
        rules = self.recordable[pathway]
        chosen = []
        for rule in rules:
            if len(chosen) >= want:
                break
            if rnd.random() < 0.15:  # not reached, not applicable, or simply not recorded
                continue
            chosen += [rule] * (rnd.randint(1, 4) if rule.repeat else 1)
        repeating = [r for r in rules if r.repeat]
        while len(chosen) < want and repeating:  # a long-running case: more reviews
            chosen.append(rnd.choice(repeating))
        return chosen[:want]

    def _steps(self, cid, pathway, opened, worker, manager) -> list[dict]:
        rnd = self.rnd
        sequence = self._sequence(pathway)
        span = (self.today - opened).days + 1
        days = sorted(rnd.sample(range(span), min(len(sequence), span)))
        rows = []
        for rule, offset in zip(sequence, days):
            outcome = None
            if rule.outcomes:  # mostly the first (the usual) outcome
                outcome = rule.outcomes[0] if rnd.random() < 0.7 else rnd.choice(rule.outcomes)
            rows.append({
                "case_id": cid, "rule_id": rule.id, "done_on": opened + dt.timedelta(days=offset), "outcome": outcome,
                "note": "bench note (fictional)" if rnd.random() < 0.1 else None, "source": "import",
                "recorded_by_id": manager if rule.kind in SIGN_OFF_KINDS else worker, "recorded_at": self.now,
            })
        return rows

    def _consents(self, cid, pathway, opened, worker) -> list[dict]:
        rnd, rows = self.rnd, []
        for kind in self.consents[pathway]:
            if rnd.random() >= 0.75:
                continue
            status = rnd.choices(("given", "declined", "advice_only"), (85, 10, 5 if kind == "engage" else 0))[0]
            rows.append({
                "case_id": cid, "kind": kind, "status": status,
                "recorded_on": opened + dt.timedelta(days=rnd.randint(0, min(10, (self.today - opened).days))),
                "given_by": "parent (fictional)" if status == "given" else None, "obtained_by": None,
                "basis": "consent" if kind == "share" and status == "given" else None, "note": None,
                "recorded_by_id": worker, "recorded_at": self.now,
            })
        return rows

    def _bookings(self, cid, pathway, steps, worker) -> list[dict]:
        rnd = self.rnd
        if rnd.random() >= 0.05:
            return []
        done = {s["rule_id"] for s in steps}
        meetings = [r for r in self.recordable[pathway] if r.kind == "meeting" and (r.repeat or r.id not in done)]
        if not meetings:
            return []
        return [{"case_id": cid, "rule_id": rnd.choice(meetings).id,
                 "planned_for": self.today + dt.timedelta(days=rnd.randint(1, 20)), "note": None,
                 "recorded_by_id": worker, "recorded_at": self.now}]


def _write(conn: Connection, table, rows: list[dict]) -> int:
    for start in range(0, len(rows), CHUNK):
        conn.execute(table.insert(), rows[start : start + CHUNK])
    return len(rows)


def _fix_sequences(conn: Connection) -> None:
    """PostgreSQL: the ids were given explicitly; move the sequences past them."""
    for table in ("teams", "practitioners", "cases"):
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        ))


def generate(target, cases: int, seed: int = SEED, today: dt.date = TODAY, registry=None,
             analyze: bool = True) -> Generated:
    """Write ``cases`` fictional open cases (and their people and steps) to a migrated, empty database.

    ``target`` is a database URL or an Engine. Returns what was written.
    """
    started = time.perf_counter()
    engine: Engine = make_engine(target) if isinstance(target, str) else target
    builder = _Builder(registry or guidance.registry(), cases, seed, today)
    builder.organisation()
    out = Generated()
    try:
        with engine.begin() as conn:
            out.teams = _write(conn, Team.__table__, builder.teams)
            out.practitioners = _write(conn, Practitioner.__table__, builder.people)
            # Cases and their rows a chunk at a time: memory stays small at any size.
            for start in range(1, cases + 1, CHUNK // 10):
                case_rows, steps, consents, bookings = [], [], [], []
                for cid in range(start, min(start + CHUNK // 10, cases + 1)):
                    row, s, c, b = builder.case(cid)
                    case_rows.append(row)
                    steps += s
                    consents += c
                    bookings += b
                out.cases += _write(conn, Case.__table__, case_rows)
                out.steps += _write(conn, RecordedStepRow.__table__, steps)
                out.consents += _write(conn, ConsentRow.__table__, consents)
                out.bookings += _write(conn, BookingRow.__table__, bookings)
            if engine.dialect.name == "postgresql":
                _fix_sequences(conn)
        if analyze:  # fresh statistics, as a live database would have: the planner's choices are then stable
            with engine.connect() as conn:
                if engine.dialect.name == "postgresql":
                    conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
                else:
                    conn.execute(text("ANALYZE"))
                    conn.commit()
    finally:
        if isinstance(target, str):
            engine.dispose()
    out.seconds = time.perf_counter() - started
    return out


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="database URL, e.g. sqlite:////tmp/bench.sqlite3")
    parser.add_argument("cases", type=int)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--migrate", action="store_true", help="apply the migrations first")
    args = parser.parse_args(argv)
    if args.migrate:
        from bot.db.migrate import upgrade

        upgrade(args.url)
    print(generate(args.url, args.cases, seed=args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
