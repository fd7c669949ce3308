"""The sender: claims reminders from the outbox, posts them, records the outcome.

Exactly once: a reminder is claimed (committed as "sending") before it is
posted and marked sent, with the channel's message id, straight after. If a
sender dies in between, the claim lapses and the next sender, before posting,
looks in the Slack channel's history for the reminder's marker: found, it is
marked sent; not found, it is posted. Teams webhooks cannot be read back, so
a Teams post whose outcome is unknown is marked failed for a person to check
(``ehbot reminders retry ID``) rather than risk posting it twice.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy.engine import Engine

from bot import clock, guidance
from bot.db.session import session_scope
from bot.notify.messages import Handle, ReminderItem
from bot.notify.outbox import Claimed, Outbox
from bot.notify.pacing import Pacer, backoff, wall_clock
from bot.notify.refusals import Refusal
from bot.notify.routing import route, webhook_url
from bot.notify.settings import ReminderSettings, reminder_settings

log = logging.getLogger(__name__)

DIGEST_MAX = 12  # items in one message (Slack allows 50 blocks; each item takes 4 with its divider, plus a header)
UNKNOWN_OUTCOME = "outcome unknown: check the channel, then `ehbot reminders retry {id}`"


@dataclass
class SendSummary:
    posted: int = 0  # reminders in messages posted now
    messages: int = 0
    found_already_posted: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (f"{self.posted} reminders posted in {self.messages} message{'' if self.messages == 1 else 's'}, "
                f"{self.found_already_posted} found already posted, {self.retrying} to retry, {self.failed} failed")


def item_for(row: Claimed, handles: dict, registry, today) -> ReminderItem:
    """What may be said about a reminder in a channel: built from the outbox row and the guidance."""
    rule = registry.rules.get(row.rule_id)
    title = rule.title if rule else row.rule_id
    if rule is None:
        reason = "rule no longer in the active guidance"
    elif row.stage == "escalated" and row.local_policy:
        reason = "escalation by local policy (not in the guidance)"
    elif row.stage == "escalated" and rule.escalate and rule.escalate.to is None:
        reason = f"{rule.escalate.citation.short()}; who it goes to is local policy (not in the guidance)"
    elif row.stage == "escalated" and rule.escalate:
        reason = rule.escalate.citation.short()
    else:
        reason = rule.citation.short()

    def handle(label, username):
        if not label and not username:
            return None
        slack_id, teams_id = handles.get(username, (None, None)) if username else (None, None)
        return Handle(label or "owner", username if username in handles else None, slack_id, teams_id)

    return ReminderItem(
        reminder_id=row.id, case_reference=row.case_reference, rule_id=row.rule_id, step_title=title,
        stage=row.stage, due_on=row.due_on, today=today, reason=reason,
        owner=handle(row.owner_label, row.owner_username),
        escalate_to=handle(row.escalate_to_label, row.escalate_to_username),
        local_policy=row.local_policy,
    )


class Sender:
    def __init__(self, engine: Engine, settings: Optional[ReminderSettings] = None, *, slack=None, teams=None,
                 now: Callable = wall_clock, pacer: Optional[Pacer] = None, name: Optional[str] = None, registry=None):
        self.engine = engine
        self.settings = settings or reminder_settings()
        self._slack, self._teams = slack, teams
        self.now = now
        self.pacer = pacer or Pacer(self.settings.post_interval_seconds)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.registry = registry
        self._claims = 0

    # -- channels, made when first needed --

    def slack(self):
        if self._slack is None and self.settings.slack_token:
            from bot.notify.slack import SlackChannel, make_client

            s = self.settings
            self._slack = SlackChannel(make_client(s.slack_token, s.slack_api_url, s.slack_http_retries, s.http_timeout_seconds))
        return self._slack

    def teams(self):
        if self._teams is None:
            from bot.notify.teams import TeamsChannel

            self._teams = TeamsChannel(self.settings.http_timeout_seconds)
        return self._teams

    # -- the run --

    def run_once(self, stop: Optional[threading.Event] = None) -> SendSummary:
        """Send everything that is due to be sent now."""
        summary = SendSummary()
        while not (stop and stop.is_set()):
            self._claims += 1
            token = f"{self.name}#{self._claims}"[:100]
            with session_scope(self.engine) as session:
                outbox = Outbox(session)
                claimed = outbox.claim(token, self.settings.batch_size, self.now(), self.settings.claim_seconds,
                                       lambda row: route(row, self.settings))
                usernames = [u for c in claimed for u in (c.owner_username, c.escalate_to_username)]
                handles = outbox.handles(usernames)
            if not claimed:
                break
            self._deliver(token, claimed, handles, summary)
        return summary

    def _deliver(self, token: str, claimed: list[Claimed], handles: dict, summary: SendSummary) -> None:
        registry = self.registry or guidance.registry()
        today = clock.today()
        groups: dict[tuple, list[Claimed]] = {}
        for row in claimed:
            groups.setdefault((row.channel_kind, row.destination), []).append(row)
        for (kind, destination), rows in groups.items():
            items = {row.id: item_for(row, handles, registry, today) for row in rows}
            if kind is None:
                team = rows[0].team_name
                self._refused(token, rows, Refusal(f"no channel set for team {team!r}", permanent=True), True, summary)
            elif kind == "slack":
                self._to_slack(token, destination, rows, items, summary)
            else:
                self._to_teams(token, destination, rows, items, summary)

    def _to_slack(self, token, channel_id, rows, items, summary) -> None:
        channel = self.slack()
        if channel is None:
            refusal = Refusal("slack is not configured (EHBOT_SLACK_BOT_TOKEN)", permanent=True)
            self._refused(token, rows, refusal, False, summary)
            return
        doubtful = [r for r in rows if r.may_have_been_posted]
        if doubtful:
            try:
                since = min(r.claimed_at for r in doubtful)
                found = channel.find_posted(channel_id, since, [r.id for r in doubtful])
            except Refusal as refusal:
                # Cannot tell whether they arrived, so they wait; the others can go.
                self._refused(token, doubtful, refusal, False, summary)
                rows = [r for r in rows if not r.may_have_been_posted]
            else:
                for reminder_id, ts in found.items():
                    self._record_sent(token, [reminder_id], ts)
                    log.info("reminder %s was already posted to slack %s (ts %s): marked sent", reminder_id, channel_id, ts)
                summary.found_already_posted += len(found)
                rows = [r for r in rows if r.id not in found]
        self._post_in_digests(token, ("slack", channel_id), rows, items, summary,
                              lambda chunk: channel.post(channel_id, chunk))

    def _to_teams(self, token, key, rows, items, summary) -> None:
        for row in [r for r in rows if r.may_have_been_posted]:
            # A webhook cannot be read back: a person checks the channel.
            self._refused(token, [row], Refusal(f"teams: {UNKNOWN_OUTCOME.format(id=row.id)}", permanent=True), False, summary)
        rows = [r for r in rows if not r.may_have_been_posted]
        if not rows:
            return
        url = webhook_url(rows[0], self.settings)
        if not url:
            self._refused(token, rows, Refusal("teams webhook is no longer configured", permanent=True), True, summary)
            return
        channel = self.teams()
        self._post_in_digests(token, ("teams", key), rows, items, summary, lambda chunk: channel.post(url, chunk))

    def _post_in_digests(self, token, channel_key, rows, items, summary, post) -> None:
        for start in range(0, len(rows), DIGEST_MAX):
            chunk = rows[start : start + DIGEST_MAX]
            self.pacer.wait(channel_key)
            try:
                message_id = post([items[r.id] for r in chunk])
            except Refusal as refusal:
                self._refused(token, chunk, refusal, True, summary)
                continue
            self._record_sent(token, [r.id for r in chunk], message_id)
            summary.posted += len(chunk)
            summary.messages += 1
            log.info("posted reminders %s to %s %s (message %s)", [r.id for r in chunk], *channel_key, message_id)

    def _record_sent(self, token, ids, message_id) -> None:
        with session_scope(self.engine) as session:
            done = Outbox(session).mark_sent(ids, token, message_id, self.now())
        if done < len(ids):
            log.warning("reminders %s: claim lapsed before the post was recorded", ids)

    def _refused(self, token, rows, refusal: Refusal, checked: bool, summary: SendSummary) -> None:
        """``checked``: these rows are known not to be in the channel from any earlier attempt."""
        ids = [r.id for r in rows]
        not_posted = ids if checked and not refusal.maybe_posted else []
        log.warning("reminders %s not posted: %s", ids, refusal.reason)
        with session_scope(self.engine) as session:
            outbox = Outbox(session)
            if refusal.permanent:
                outbox.mark_failed(ids, token, refusal.reason, not_posted)
                summary.failed += len(ids)
                return
            spent = [r.id for r in rows if r.attempts >= self.settings.max_attempts]
            if spent:
                reason = f"gave up after {self.settings.max_attempts} attempts: {refusal.reason}"
                outbox.mark_failed(spent, token, reason, [i for i in not_posted if i in spent])
                summary.failed += len(spent)
            for row in rows:
                if row.id in spent:
                    continue
                wait = refusal.retry_after
                if wait is None:
                    wait = backoff(row.attempts, self.settings.backoff_seconds, self.settings.backoff_max_seconds)
                at = self.now() + dt.timedelta(seconds=wait)
                outbox.retry_later([row.id], token, refusal.reason, at, [row.id] if row.id in not_posted else [])
                summary.retrying += 1
