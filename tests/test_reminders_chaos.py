"""Reminders under faults: 10,000 of them, zero duplicates, zero lost, by counting.

Two sender processes share one outbox; one is killed (SIGKILL) while Slack holds
a post it has already kept, then started again; and the fake Slack refuses at
random all along: 429 with Retry-After, 500, and posts it keeps but never
confirms (a 500, or the connection closed), the case only reading the channel's
history can settle. At the end every reminder is in Slack exactly once, in its
team's channel, and the outbox has it sent with the message that carries it.

Run as a script, this file is one sender process: the product's ``Sender``,
with every setting from the environment, round after round (like ``ehbot remind
--loop`` without the scan) until nothing is left pending or being sent.
"""
from __future__ import annotations

import collections
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fakes import Chaos, fake_slack  # noqa: F401  (fixture)
from sqlalchemy import func, select

from bot import clock
from bot.db.models import Case, Practitioner, Reminder, Team
from bot.db.session import make_engine, session_scope
from bot.notify.outbox import Outbox

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # one to two minutes per database

REMINDERS = 10_000
TEAMS = 6  # five with their own channel, one on the deployment's default channel
DEFAULT_CHANNEL = "C0CHAOSDEF"
# (rule, stage, days from today): ten reminders per case
PER_CASE = [
    (rule, stage, days)
    for rule in ("earlyhelp.personal-contact", "earlyhelp.consent-form", "earlyhelp.caf-completed", "earlyhelp.first-taf")
    for stage, days in (("due_soon", 2), ("overdue", -3))
] + [("earlyhelp.telephone-contact", "due_today", 0), ("earlyhelp.telephone-contact", "escalated", -5)]
CHAOS = dict(seed=6, rate_limited=0.08, server_error=0.07, kept_then_500=0.05, kept_then_dropped=0.05,
             history_rate_limited=0.05, history_server_error=0.05, retry_after=1)  # 25% of posts refused
# Operators' settings, chosen so a test run is quick: a short pacing interval and
# back-off, claims that lapse in seconds (a batch is posted well within them), and
# enough attempts that a 25% fault rate never exhausts them.
SENDER_SETTINGS = {
    "EHBOT_REMIND_POST_INTERVAL": "0.02",
    "EHBOT_REMIND_BACKOFF": "0.2",
    "EHBOT_REMIND_BACKOFF_MAX": "2",
    "EHBOT_REMIND_MAX_ATTEMPTS": "50",
    "EHBOT_REMIND_CLAIM_SECONDS": "10",
    "EHBOT_REMIND_BATCH": "50",
    "EHBOT_REMIND_HTTP_TIMEOUT": "10",
    # ehbot's own 429 handling (retry later, after Retry-After) rather than
    # slack-sdk sleeping in the middle of a round.
    "EHBOT_SLACK_HTTP_RETRIES": "0",
}
FINISH_SECONDS = 300
MARKER = re.compile(r"ehbot:r(\d+)\b")


# ---- the case load ---------------------------------------------------------------


def load_outbox(session) -> dict[int, str]:
    """10,000 pending reminders over six teams' cases; returns each team's expected channel by team id."""
    today = clock.today()
    teams = [Team(name=f"Chaos Team {n}", slack_channel_id=f"C0CHAOS{n}" if n < TEAMS else None) for n in range(1, TEAMS + 1)]
    workers = [Practitioner(username=f"ehw.chaos{n}", display_name=f"Worker {n}", role="early_help_worker", team=t,
                            slack_user_id=f"U0CHAOS{n}") for n, t in enumerate(teams, 1)]
    managers = [Practitioner(username=f"lm.chaos{n}", display_name=f"Manager {n}", role="line_manager", team=t)
                for n, t in enumerate(teams, 1)]
    session.add_all([*teams, *workers, *managers])
    cases = [
        Case(reference=f"C-6{n:04d}", pathway="early-help-allocation", team=teams[n % TEAMS],
             child_name=f"Fictional Child {n}", opened_on=today - dt.timedelta(days=30),
             allocated_worker=workers[n % TEAMS], team_manager=managers[n % TEAMS])
        for n in range(REMINDERS // len(PER_CASE))
    ]
    session.add_all(cases)
    session.flush()
    rows = []
    for n, case in enumerate(cases):
        for rule, stage, days in PER_CASE:
            escalated = stage == "escalated"
            rows.append({
                "case_id": case.id, "rule_id": rule, "due_on": today + dt.timedelta(days=days), "stage": stage,
                "owner_label": "worker", "owner_username": workers[n % TEAMS].username,
                "escalate_to_label": "line manager" if escalated else None,
                "escalate_to_username": managers[n % TEAMS].username if escalated else None,
            })
    outbox = Outbox(session)
    recorded = sum(outbox.record(rows[i : i + 500]) for i in range(0, len(rows), 500))
    session.commit()
    assert recorded == REMINDERS
    return {t.id: t.slack_channel_id or DEFAULT_CHANNEL for t in teams}


# ---- the sender processes --------------------------------------------------------


def start_sender(name: str, env: dict, logs: Path) -> subprocess.Popen:
    log = open(logs / f"{name}.log", "w")  # a file, not a pipe: a full pipe would stall the sender
    process = subprocess.Popen([sys.executable, __file__], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return process


def tail(logs: Path, lines: int = 15) -> str:
    out = []
    for path in sorted(logs.glob("*.log")):
        out.append(f"--- {path.name}\n" + "\n".join(path.read_text().splitlines()[-lines:]))
    return "\n".join(out)


def wait_for(condition, seconds: float, why: str, logs: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{why}\n{tail(logs)}"
        time.sleep(0.02)


def statuses(engine) -> collections.Counter:
    with session_scope(engine) as s:
        return collections.Counter(dict(s.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).all()))


def claimed_by(pid: int) -> str:
    return f"%:{pid}:%"  # a sender's name is host:pid:random, its claims name#n


# ---- the test --------------------------------------------------------------------


def test_ten_thousand_reminders_through_faults_arrive_exactly_once(db_url, migrated, session, fake_slack, tmp_path):
    channels = load_outbox(session)
    with session_scope(migrated) as s:
        team_of = dict(s.execute(select(Reminder.id, Case.team_id).join(Case, Reminder.case_id == Case.id)).all())
    assert len(team_of) == REMINDERS

    fake_slack.chaos = Chaos(**CHAOS)
    env = {**os.environ, **SENDER_SETTINGS, "PYTHONPATH": str(ROOT), "EHBOT_DATABASE_URL": db_url,
           "EHBOT_SLACK_BOT_TOKEN": fake_slack.token, "EHBOT_SLACK_API_URL": fake_slack.api_url,
           "EHBOT_SLACK_CHANNEL": DEFAULT_CHANNEL}
    env.pop("EHBOT_TEAMS_WEBHOOK_URL", None)
    logs = tmp_path / "senders"
    logs.mkdir()

    # Two senders at once over the same outbox.
    first, second = start_sender("first", env, logs), start_sender("second", env, logs)
    restarted = None
    try:
        wait_for(lambda: len(fake_slack.posts) >= 60, 120, "the senders posted too little", logs)
        # Slack keeps each sender's next post and holds the answer; the first
        # sender is killed while its post is in the channel but not in its records.
        held = fake_slack.hang_after_keeping = threading.Event()
        try:
            wait_for(lambda: fake_slack.holding == 2, 30, "both senders should be mid-post", logs)
            first.send_signal(signal.SIGKILL)
            assert first.wait(10) == -signal.SIGKILL
        finally:
            fake_slack.hang_after_keeping = None
            held.set()
        with session_scope(migrated) as s:
            orphans = set(s.execute(select(Reminder.id).where(
                Reminder.status == "sending", Reminder.claimed_by.like(claimed_by(first.pid)))).scalars())
        landed_unrecorded = orphans & {int(m.split(":r")[1]) for m in fake_slack.markers_posted()}
        assert landed_unrecorded, "the killed sender should have had a post in the channel that it never recorded"
        left_at_kill = statuses(migrated)

        restarted = start_sender("restarted", env, logs)
        for process in (second, restarted):
            try:
                process.wait(FINISH_SECONDS)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"senders did not finish in {FINISH_SECONDS}s: {dict(statuses(migrated))}\n"
                                     f"{tail(logs)}") from None
            assert process.returncode == 0, tail(logs)
    finally:
        for process in (first, second, restarted):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)

    # Count what Slack holds.
    expected = {f"ehbot:r{i}" for i in team_of}
    posted = collections.Counter(fake_slack.markers_posted())
    duplicates = {m: n for m, n in posted.items() if n > 1}
    lost = sorted(expected - posted.keys(), key=lambda m: int(m.split(":r")[1]))
    strays = sorted(posted.keys() - expected)
    assert (len(duplicates), len(lost), len(strays)) == (0, 0, 0), (
        f"{len(duplicates)} posted more than once: {sorted(duplicates.items())[:50]}; "
        f"{len(lost)} never posted: {lost[:50]}; {len(strays)} not in the outbox: {strays[:50]}")
    assert sum(posted.values()) == REMINDERS

    # Count what the outbox says: every one sent, with the message (in its team's channel) that carries it.
    messages = {p["ts"]: (p["channel"], {int(i) for i in MARKER.findall(str(p["blocks"]))}) for p in fake_slack.posts}
    with session_scope(migrated) as s:
        saved = s.execute(select(Reminder.id, Reminder.status, Reminder.destination, Reminder.message_id,
                                 Reminder.claimed_by)).all()
    not_sent = sorted((r.id, r.status) for r in saved if r.status != "sent")
    assert not not_sent, f"{len(not_sent)} not marked sent: {not_sent[:50]}"
    misrecorded = sorted(
        r.id for r in saved
        if r.destination != channels[team_of[r.id]]
        or messages.get(r.message_id, (None, ()))[0] != r.destination or r.id not in messages[r.message_id][1]
    )
    assert not misrecorded, f"{len(misrecorded)} recorded with the wrong channel or message: {misrecorded[:50]}"

    # The faults really happened, and the senders really shared the work.
    faults = fake_slack.faults
    for kind in ("post 429", "post 500", "post 500 after keeping", "post dropped after keeping"):
        assert faults[kind] > 0, f"no {kind!r} in {dict(faults)}"
    assert faults["history 429"] + faults["history 500"] > 0, dict(faults)
    unconfirmed = set(fake_slack.kept_unconfirmed)
    reconciled = [r.id for r in saved if r.message_id in unconfirmed]
    assert reconciled, "some reminders should be marked sent from the channel's history"
    assert left_at_kill["sent"] < REMINDERS
    recorded_by = collections.Counter(
        next((name for name, p in (("first", first), ("second", second), ("restarted", restarted))
              if f":{p.pid}:" in r.claimed_by), "other") for r in saved)
    assert recorded_by["second"] > 0 and recorded_by["restarted"] > 0 and recorded_by["other"] == 0, recorded_by
    print(f"\n{db_url.split(':')[0]}: {REMINDERS} reminders in {len(fake_slack.posts)} posts over "
          f"{len(set(channels.values()))} channels; {fake_slack.post_calls} post calls, {fake_slack.history_calls} "
          f"history reads; faults {dict(faults)}; {len(reconciled)} marked sent from history; "
          f"{len(orphans)} orphaned by the kill; recorded by {dict(recorded_by)}")


# ---- one sender process ----------------------------------------------------------


def main() -> int:
    import logging

    from bot.notify.sender import Sender

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = make_engine()
    sender = Sender(engine)
    while True:
        try:
            sender.run_once()
        except Exception as exc:  # like the worker's loop: a failed round is tried again
            logging.getLogger("chaos-sender").error("round failed: %s", type(exc).__name__)
        try:
            with session_scope(engine) as s:
                left = s.execute(select(func.count()).select_from(Reminder).where(
                    Reminder.status.in_(("pending", "sending")))).scalar_one()
        except Exception:  # noqa: BLE001 - look again next round
            left = -1
        if left == 0:
            return 0
        time.sleep(0.05)


if __name__ == "__main__":
    raise SystemExit(main())
