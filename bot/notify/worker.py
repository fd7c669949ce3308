"""Running reminders: once (scan and send), as a worker loop, or as a dry run."""
from __future__ import annotations

import logging
import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from sqlalchemy.engine import Engine

from bot import clock, guidance, retention
from bot.db.session import session_scope
from bot.notify import weekly
from bot.notify.messages import ReminderItem, plain_text
from bot.notify.outbox import Claimed, Outbox
from bot.notify.routing import route
from bot.notify.scanner import ScanSummary, find_due, scan
from bot.notify.sender import SendSummary, Sender, item_for
from bot.notify.settings import ReminderSettings, reminder_settings

log = logging.getLogger(__name__)


def remind_once(engine: Engine, settings: Optional[ReminderSettings] = None, sender: Optional[Sender] = None,
                stop: Optional[threading.Event] = None, full: bool = False) -> tuple[ScanSummary, SendSummary]:
    settings = settings or reminder_settings()
    with session_scope(engine) as session:
        scanned = scan(session, settings=settings, full=full)
    sender = sender or Sender(engine, settings)
    sent = sender.run_once(stop)
    _send_weekly(engine, sender, settings)
    _apply_retention()
    return scanned, sent


def _send_weekly(engine: Engine, sender: Sender, settings: ReminderSettings) -> None:
    """The opt-in weekly messages, every round: a failure there never stops reminders."""
    try:
        summary = weekly.send_week(engine, sender.slack(), settings)
        if summary.sent or summary.refused:
            log.info("%s", summary)
    except Exception as exc:  # noqa: BLE001 - logged by type only
        log.error("weekly messages failed: %s", type(exc).__name__)


def _apply_retention() -> None:
    """The conversation store's retention, every round: a failure there never stops reminders."""
    try:
        retention.purge()
    except Exception as exc:  # noqa: BLE001 - logged by type only; reminders carry on
        log.error("conversation retention failed: %s", type(exc).__name__)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT, so the loop finishes its step and stops."""
    stop = threading.Event()
    previous = {}

    def _stop(signum, _frame):
        log.info("reminder worker: %s received, stopping", signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, _stop)
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def remind_loop(engine: Engine, stop: threading.Event, settings: Optional[ReminderSettings] = None,
                report: Callable[[str], None] = print) -> int:
    """Scan and send every EHBOT_REMIND_INTERVAL seconds until ``stop`` is set."""
    settings = settings or reminder_settings()
    sender = Sender(engine, settings)
    rounds = 0
    while not stop.is_set():
        rounds += 1
        try:
            scanned, sent = remind_once(engine, settings, sender, stop)
            report(f"{clock.today().isoformat()}: {scanned}; {sent}")
        except Exception as exc:  # the worker outlives a database or network hiccup
            log.error("reminder round failed: %s", type(exc).__name__)
            report(f"reminder round failed ({type(exc).__name__}); trying again in {settings.interval_seconds:g}s")
        stop.wait(settings.interval_seconds)
    return rounds


def dry_run(engine: Engine, settings: Optional[ReminderSettings] = None) -> list[str]:
    """What a run would post now, one line per reminder, grouped by channel. Writes nothing."""
    settings = settings or reminder_settings()
    registry, today = guidance.registry(), clock.today()
    lines: dict[str, list[str]] = {}
    with session_scope(engine) as session:
        outbox = Outbox(session)
        for row in outbox.waiting():
            _add(lines, row, item_for(row, {}, registry, today), settings, "queued")
        for batch, due, _ in find_due(session, today=today, settings=settings, registry=registry):
            if not due:
                continue
            ids = outbox.case_ids(c.reference for c in batch)
            known = outbox.known_keys(ids.values())
            teams = outbox.case_teams(ids.values())
            for d in due:
                if (ids[d.case_reference], d.rule_id, d.due_on, d.stage) in known:
                    continue
                row = _as_claimed(d, teams[d.case_reference])
                item = item_for(row, {}, registry, today)
                _add(lines, row, item, settings, "new")
        session.rollback()  # a dry run writes nothing, not even an audit line
    out = []
    for where, items in lines.items():
        out.append(f"{where}: {len(items)} reminder{'s' if len(items) != 1 else ''}" + (" (one digest)" if len(items) > 1 else ""))
        out += [f"  {line}" for line in items]
    return out or ["nothing to send"]


def _as_claimed(d, team) -> Claimed:
    team_id, name, slack_channel, webhook = team
    return Claimed(0, d.case_reference, d.rule_id, d.due_on, d.stage, d.owner_label, d.owner_username,
                   d.escalate_to_label, d.escalate_to_username, d.local_policy, 0, None, None, None,
                   team_id, name, slack_channel, webhook)


def _add(lines: dict, row: Claimed, item: ReminderItem, settings: ReminderSettings, kind: str) -> None:
    where = route(row, settings) if row.destination is None else (row.channel_kind, row.destination)
    label = f"{where[0]} {where[1]}" if where else f"no channel set for team {row.team_name!r}"
    lines.setdefault(label, []).append(f"[{kind}] {plain_text(item)}")
