"""Reminder scan at scale: the real scanner against a raw SQL pass over the same rows.

For each database (SQLite, a file in a temporary directory; PostgreSQL, a
schema of its own, dropped afterwards) and each size, it migrates, generates
a fictional case load (benchmarks/generate.py: about ten recorded steps per
open case), then measures, each in a fresh Python process:

  raw        one pass over the rows a full scan needs (open cases with their team
             and people, their recorded steps with who recorded them, consents,
             bookings), plain DB-API cursor iteration, nothing built from the rows
             (PostgreSQL: a server-side cursor, so rows stream as SQLite's do).
             A warm-up pass first; the second pass is timed.
  full scan  the first scan, as ``ehbot remind`` runs it (bot.notify.scanner.scan
             in one session_scope): no case has a next reminder date yet, so every
             open case is evaluated, every reminder due is written to the outbox,
             and each case's next reminder date is stored. It is also what a
             change of rules (packs, closure days, settings) or
             ``ehbot remind --full`` costs.
  next day   the steady state: the clock moved on one day (EHBOT_TODAY + 1), the
             scan evaluates only the cases whose next reminder date has come, as
             the worker's loop does every round. As for the raw pass, a warm-up
             round first (rolled back: a running worker has compiled its
             statements already); the second is timed. The target applies to
             this one.

Times are wall-clock seconds (time.perf_counter) of the measured part only:
imports, loading the guidance packs and the calendar are done before the clock
starts. Peak memory is the process's peak resident set size (getrusage
ru_maxrss) of each fresh process, imports included; "+N" is how much it grew
during the measured part. Targets (issue 6): the steady-state scan at most 3x
the raw pass; memory flat as cases grow (largest/smallest size peak of the full
scan at most 1.5x).

    python benchmarks/scan.py                 # 10,000 and 100,000 cases (about 10 minutes)
    python benchmarks/scan.py --quick         # 2,000 and 20,000 cases (a couple of minutes)
    python benchmarks/scan.py --sizes 50 --databases sqlite
    python benchmarks/scan.py --quick --profile   # and where the full scan's time goes (cProfile)

PostgreSQL is found at EHBOT_BENCH_POSTGRES_URL, else EHBOT_TEST_POSTGRES_URL,
else postgresql://postgres@127.0.0.1:5432/test; with none answering it is
skipped, and the output says so.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

FULL_SIZES = (10_000, 100_000)
QUICK_SIZES = (2_000, 20_000)
TARGET_RATIO = 3.0
TARGET_MEMORY = 1.5
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"

# -- the raw pass: the rows a full scan reads (bot.db.caseload.CaseLoader) --

_PERSON = "{a}.username, {a}.display_name, {a}.role, {a}.slack_user_id, {a}.teams_user_id"
RAW_QUERIES = {
    "cases": (
        "SELECT c.id, c.reference, c.pathway, c.opened_on, c.closed_on, c.referrer_name, c.referrer_advice_only, "
        "c.lead_professional_name, c.lead_professional_role, t.name, "
        + ", ".join(_PERSON.format(a=a) for a in ("aw", "tm", "clw", "lp"))
        + " FROM cases c LEFT JOIN teams t ON t.id = c.team_id"
        " LEFT JOIN practitioners aw ON aw.id = c.allocated_worker_id"
        " LEFT JOIN practitioners tm ON tm.id = c.team_manager_id"
        " LEFT JOIN practitioners clw ON clw.id = c.caf_link_worker_id"
        " LEFT JOIN practitioners lp ON lp.id = c.lead_professional_id"
        " WHERE c.closed_on IS NULL ORDER BY c.id"
    ),
    "steps": (
        "SELECT s.case_id, s.rule_id, s.done_on, s.outcome, s.note, s.source, p.username"
        " FROM recorded_steps s JOIN cases c ON c.id = s.case_id"
        " LEFT JOIN practitioners p ON p.id = s.recorded_by_id WHERE c.closed_on IS NULL"
    ),
    "consents": (
        "SELECT r.case_id, r.kind, r.status, r.recorded_on, r.given_by, r.obtained_by, r.basis, r.note"
        " FROM consent_records r JOIN cases c ON c.id = r.case_id WHERE c.closed_on IS NULL"
    ),
    "bookings": (
        "SELECT b.case_id, b.rule_id, b.planned_for, p.username"
        " FROM step_bookings b JOIN cases c ON c.id = b.case_id"
        " LEFT JOIN practitioners p ON p.id = b.recorded_by_id WHERE c.closed_on IS NULL"
    ),
}


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _raw_pass(engine) -> dict:
    rows = {}
    conn = engine.raw_connection()
    try:
        for name, sql in RAW_QUERIES.items():
            if engine.dialect.name == "postgresql":
                cur = conn.cursor(name=f"raw_{name}")  # server-side: rows stream, as they do from SQLite
                cur.itersize = 5000
            else:
                cur = conn.cursor()
            cur.execute(sql)
            n = 0
            for _row in cur:
                n += 1
            cur.close()
            rows[name] = n
        conn.rollback()
    finally:
        conn.close()
    return rows


def worker(kind: str, url: str, profile: Optional[str] = None) -> dict:
    """One measured part, in this (fresh) process. Returns seconds, rows, memory."""
    from bot import clock, guidance
    from bot.calendar import WorkingCalendar
    from bot.db.session import make_engine, session_scope
    from bot.notify.scanner import scan
    from bot.notify.settings import ReminderSettings

    # Everything a running worker has loaded already, loaded before the clock starts.
    registry, calendar, settings = guidance.registry(), WorkingCalendar.from_config(), ReminderSettings()
    today = clock.today()
    for year in range(today.year - 2, today.year + 3):  # the holidays package loads its calendars when first asked
        calendar.bank_holiday(dt.date(year, 1, 1))
    engine = make_engine(url)
    with engine.connect():
        pass
    result: dict = {"kind": kind}
    if kind == "raw":
        _raw_pass(engine)  # warm-up: the database's caches hold what the timed pass reads
    if kind == "rescan":
        # Warm-up, rolled back: a worker that has been running has its statements compiled already.
        with session_scope(engine) as session:
            scan(session, settings=settings, registry=registry, calendar=calendar)
            session.rollback()
    if kind == "profile":
        from sqlalchemy import text

        with engine.begin() as conn:  # the profiled (full) scan records every reminder again, as the first scan did
            conn.execute(text("DELETE FROM reminders"))
    before = _rss_mb()
    started = time.perf_counter()
    if kind == "raw":
        result["rows"] = _raw_pass(engine)
    else:
        profiler = None
        if kind == "profile":
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        with session_scope(engine) as session:
            summary = scan(session, settings=settings, registry=registry, calendar=calendar, full=kind == "profile")
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        result.update(cases=summary.cases, due=summary.due, recorded=summary.recorded, skipped=summary.skipped,
                      full=summary.full)
    result["seconds"] = time.perf_counter() - started
    result["rss_before_mb"] = before
    result["peak_mb"] = _peak_mb()
    engine.dispose()
    return result


def _run_worker(kind: str, url: str, env: dict, profile: Optional[str] = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--url", url]
    if profile:
        cmd += ["--profile-out", profile]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} worker failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- databases ----------------------------------------------------------------------------


def _postgres_base() -> Optional[str]:
    from sqlalchemy import create_engine, text

    url = (os.environ.get("EHBOT_BENCH_POSTGRES_URL") or os.environ.get("EHBOT_TEST_POSTGRES_URL") or PG_DEFAULT).strip()
    engine = create_engine(url, future=True, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return url
    except Exception:  # noqa: BLE001 - any failure to connect means "no PostgreSQL here"
        return None
    finally:
        engine.dispose()


@contextmanager
def database(kind: str, pg_base: Optional[str]) -> Iterator[str]:
    """A fresh, empty database URL, removed afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="ehbot-bench-")
        try:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    schema = f"ehbot_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_base, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(pg_base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# -- the report ---------------------------------------------------------------------------


def machine(pg_base: Optional[str]) -> list[str]:
    import sqlalchemy

    from _report import machine as the_machine

    pg = "not available"
    if pg_base:
        from sqlalchemy import create_engine, text

        engine = create_engine(pg_base, future=True)
        with engine.connect() as conn:
            pg = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    return the_machine(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, PostgreSQL {pg}, "
                       f"SQLAlchemy {sqlalchemy.__version__}")


def _s(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 1 else f"{seconds:.2f}"


def _mb(part: dict) -> str:
    return f"{part['peak_mb']:.0f} (+{max(0.0, part['peak_mb'] - part['rss_before_mb']):.0f})"


def table(results: list[dict]) -> list[str]:
    head = ("| database | cases | steps | reminders | raw s | full scan s | full/raw | next-day scan s "
            "| cases evaluated next day | next-day scan/raw (target ≤ 3×) "
            "| raw peak MB | full scan peak MB | full scan memory largest/smallest (target ≤ 1.5×) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    smallest: dict[str, dict] = {}
    for r in results:
        smallest.setdefault(r["database"], r)
    for r in results:
        raw = r["raw"]["seconds"]
        ratio = r["rescan"]["seconds"] / raw
        verdict = "PASS" if ratio <= TARGET_RATIO else "OVER"
        first = smallest[r["database"]]
        if first is r:
            memory = "(baseline)" if sum(x["database"] == r["database"] for x in results) > 1 else "n/a (one size)"
        else:
            m = r["scan"]["peak_mb"] / first["scan"]["peak_mb"]
            grow = r["cases"] / first["cases"]
            memory = f"{m:.2f}× for {grow:g}× cases {'PASS' if m <= TARGET_MEMORY else 'OVER'}"
        evaluated = r["rescan"]["cases"]
        lines.append(
            f"| {r['database']} | {r['cases']:,} | {r['steps']:,} | {r['scan']['recorded']:,} "
            f"| {_s(raw)} | {_s(r['scan']['seconds'])} | {r['scan']['seconds'] / raw:.1f}× "
            f"| {_s(r['rescan']['seconds'])} | {evaluated:,} ({evaluated / r['cases']:.1%}) | {ratio:.2f}× {verdict} "
            f"| {_mb(r['raw'])} | {_mb(r['scan'])} | {memory} |"
        )
    return lines


def run(sizes: list[int], databases: list[str], seed: int, profile: bool, out=print,
        results_dir: Optional[Path] = None) -> list[dict]:
    from _report import write

    from bot.db.migrate import upgrade
    from generate import TODAY, generate

    env = dict(os.environ, EHBOT_TODAY=TODAY.isoformat(),
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    next_day = dict(env, EHBOT_TODAY=(TODAY + dt.timedelta(days=1)).isoformat())
    os.environ["EHBOT_TODAY"] = TODAY.isoformat()
    pg_base = _postgres_base() if "postgresql" in databases else None
    out("Reminder scan at scale (issue 6): the real scanner against a raw SQL pass over the same rows")
    header = machine(pg_base) + [
        f"clock: EHBOT_TODAY={TODAY} (the next-day scan: {TODAY + dt.timedelta(days=1)}); seed {seed}; "
        "each part in a fresh process; memory: peak RSS (ru_maxrss), (+N) grown during the measured part"]
    for line in header:
        out(line)
    out("full scan: the first scan, every open case evaluated (as after a change of rules or `ehbot remind --full`); "
        "next-day scan: the steady state a day later, only the cases whose next reminder date has come. "
        "The 3× target applies to the next-day scan.")
    if "postgresql" in databases and not pg_base:
        out("PostgreSQL: no server answered (set EHBOT_BENCH_POSTGRES_URL): skipped")
        databases = [d for d in databases if d != "postgresql"]
    results = []
    for db in databases:
        for n in sizes:
            with database(db, pg_base) as url:
                upgrade(url)
                made = generate(url, n, seed=seed)
                out(f"  {db} {n:,}: generated {made}")
                raw = _run_worker("raw", url, env)
                first = _run_worker("scan", url, env)
                again = _run_worker("rescan", url, next_day)
                out(f"  {db} {n:,}: raw {_s(raw['seconds'])}s; full scan {_s(first['seconds'])}s "
                    f"({first['cases']:,} cases evaluated, {first['recorded']:,} reminders); next-day scan "
                    f"{_s(again['seconds'])}s ({again['cases']:,} cases evaluated, {again['recorded']:,} new reminders)")
                results.append({"database": db, "cases": n, "steps": made.steps, "raw": raw, "scan": first,
                                "rescan": again})
                if profile and db == databases[0] and n == sizes[-1]:
                    _profile(url, env, out)
    out("")
    for line in table(results):
        out(line)
    if results:
        path = write("scan", "Reminder scan at scale", figures(results), header, [], results_dir)
        out(f"figures written to {path}")
    return results


def figures(results: list[dict]) -> list:
    """The table's judged figures, for plot.py: each next-day scan against its raw pass, and
    each database's full-scan memory at its largest size against its smallest."""
    from _report import Figure

    found = [Figure(f"next-day scan, {r['database']} {r['cases']:,} cases", "s", r["rescan"]["seconds"],
                    r["raw"]["seconds"], "raw SQL pass", TARGET_RATIO) for r in results]
    for db in dict.fromkeys(r["database"] for r in results):
        sized = [r for r in results if r["database"] == db]
        if len(sized) > 1:
            found.append(Figure(f"full-scan peak memory, {db} {sized[-1]['cases']:,} cases", "MB",
                                sized[-1]["scan"]["peak_mb"], sized[0]["scan"]["peak_mb"],
                                f"{sized[0]['cases']:,} cases", TARGET_MEMORY))
    return found


def _profile(url: str, env: dict, out) -> None:
    import pstats

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "scan.prof")
        done = _run_worker("profile", url, env, profile=path)
        out(f"\nprofile of a full scan (cProfile; {done['seconds']:.1f}s with the profiler's overhead):")
        for order in ("cumulative", "tottime"):
            out(f"-- by {order} --")
            stream = _Lines()
            stats = pstats.Stats(path, stream=stream)
            stats.strip_dirs().sort_stats(order).print_stats(25)
            for line in stream.text().splitlines():
                if line.strip() and not line.startswith(("   Ordered", "   List reduced")):
                    out(line)
        out("")


class _Lines:
    def __init__(self):
        self.parts: list[str] = []

    def write(self, s: str) -> None:
        self.parts.append(s)

    def text(self) -> str:
        return "".join(self.parts)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"sizes {', '.join(f'{s:,}' for s in QUICK_SIZES)}")
    parser.add_argument("--sizes", help=f"comma-separated case counts (default {','.join(map(str, FULL_SIZES))})")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both (default)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--profile", action="store_true", help="also profile a full scan at the largest size (first database)")
    parser.add_argument("--results", type=Path, help="where to write scan.json (default benchmarks/results)")
    parser.add_argument("--worker", choices=("raw", "scan", "rescan", "profile"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.url, args.profile_out)))
        return 0
    if args.sizes:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    else:
        sizes = list(QUICK_SIZES if args.quick else FULL_SIZES)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgresql"}
    if unknown or not sizes or min(sizes) < 1:
        parser.error(f"databases are sqlite and postgresql (not {', '.join(sorted(unknown))}); sizes are positive"
                     if unknown else "sizes are positive case counts")
    run(sorted(sizes), databases, args.seed, args.profile, out=lambda line: print(line, flush=True),
        results_dir=args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
