"""Buttons on a Slack reminder post: "Done", "Remind me on…", "Why?" (issue 16).

Without a trained Rasa model: the post's buttons as the sender builds them; a press as
the Slack channel subclass turns it into the chat's payload and sends the reply (to the
presser's direct message, at a fake Slack); the core answering it; the sender holding
back what was held. Outcomes are read from the database and from what the fake Slack got.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import re

import pytest
from conftest import CHILD_NAME
from fakes import FakeNow, RecordingSlack, early_help_case
from sqlalchemy import select

from bot import access
from bot.conversation import Conversation, Message, State, wording
from bot.db.models import AuditEvent, Practitioner, RecordedStepRow, Reminder, ReminderHold, Team
from bot.db.session import session_scope
from bot.notify import slack as slack_posts
from bot.notify.messages import ReminderItem
from bot.notify.pacing import Pacer
from bot.notify.scanner import scan
from bot.notify.sender import DIGEST_MAX, Sender
from bot.notify.settings import ReminderSettings
from ehbot_channels.slack import SlackInput, delivery_key, reminder_press

ACTION = re.compile(r"^ehbot_reminder:(done|hold|why):(\d+)$")
SW, OUTSIDER = "U1SW", "U9WEST"


# ---- the stack: a fake Slack, a team channel, three reminders -----------------------------


@pytest.fixture
def slack():
    server = RecordingSlack().start()
    yield server
    server.stop()


@pytest.fixture
def settings(slack):
    return ReminderSettings(slack_token=slack.token, slack_api_url=slack.api_url, slack_http_retries=0,
                            post_interval_seconds=0, backoff_seconds=10, max_attempts=3, claim_seconds=60)


@pytest.fixture
def east(session, people):
    """C-7001: telephone contact escalated, and something due today; C-7002: due soon. Not yet sent."""
    people["team"].slack_channel_id = "C0EAST"
    west = Team(name="CADS West")
    session.add(Practitioner(username="west.sw", display_name="Wes West", role="social_worker", team=west,
                             slack_user_id=OUTSIDER))
    session.commit()
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 16), child_name=CHILD_NAME)
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20), child_name=CHILD_NAME)
    scan(session, settings=ReminderSettings())
    session.commit()
    return people["team"]


@pytest.fixture
def chat(migrated):
    return Conversation(lambda: session_scope(migrated))


def send(engine, settings):
    return Sender(engine, settings, now=FakeNow(), pacer=Pacer(0, sleep=lambda s: None)).run_once()


def reminders(engine) -> dict[tuple[str, str], Reminder]:
    """(case reference, stage) -> reminder."""
    with session_scope(engine) as s:
        found = s.execute(select(Reminder).order_by(Reminder.id)).scalars().all()
        out = {(r.case.reference, r.stage): r for r in found}
        s.expunge_all()
    return out


def steps_recorded(engine, reference: str, rule_id: str) -> int:
    with session_scope(engine) as s:
        rows = s.execute(select(RecordedStepRow).where(RecordedStepRow.rule_id == rule_id)).scalars().all()
        return len([r for r in rows if r.case.reference == reference])


def holds(engine) -> list[tuple]:
    with session_scope(engine) as s:
        return [(h.case_id, h.rule_id, h.due_on, h.until, h.reminder_id, h.held_by.username, h.held_at is not None)
                for h in s.execute(select(ReminderHold)).scalars()]


def audit(engine, action: str) -> list[AuditEvent]:
    with session_scope(engine) as s:
        found = s.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()
        s.expunge_all()
    return found


def as_rasa_would(text: str) -> Message:
    """What action_respond hands the core for a payload: Rasa unpacks "/intent{json}" into the
    intent and entities (domain.yml lists them), and actions/common.message_of drops the words."""
    found = re.match(r"^/(\w+)(\{.*\})?$", text)
    assert found, text
    entities = tuple((k, str(v)) for k, v in json.loads(found.group(2) or "{}").items())
    return Message(text="", intent=found.group(1), confidence=1.0, entities=entities)


def action(press: str, reminder_id: int, day: str | None = None) -> dict:
    if press == "hold":
        return {"type": "datepicker", "action_id": f"ehbot_reminder:hold:{reminder_id}", "selected_date": day,
                "action_ts": "1764000000.000100"}
    return {"type": "button", "action_id": f"ehbot_reminder:{press}:{reminder_id}", "value": str(reminder_id),
            "action_ts": "1764000000.000100"}


def press(chat, slack_user: str, press_: str, reminder_id: int, day: str | None = None, state: State | None = None):
    """A press as the Slack channel turns it into a message, answered by the core."""
    user = chat.identify("slack", slack_user)
    return chat.respond(user, as_rasa_would(reminder_press(action(press_, reminder_id, day))), state or State())


# ---- the post ------------------------------------------------------------------------------


def test_each_item_has_done_remind_and_why_carrying_only_its_id(migrated, east, settings, slack):
    send(migrated, settings)
    [post] = slack.posts
    assert post["channel"] == "C0EAST"
    ids = {r.id: r.stage for r in reminders(migrated).values()}
    seen = {}
    for block in post["blocks"]:
        if block["type"] != "actions":
            continue
        for element in block["elements"]:
            kind, reminder_id = ACTION.match(element["action_id"]).groups()
            assert int(reminder_id) in ids
            assert element.get("value", reminder_id) == reminder_id  # the id, nothing more
            seen.setdefault(int(reminder_id), []).append((kind, element["type"]))
    for reminder_id, stage in ids.items():
        expected = [("done", "button"), ("hold", "datepicker"), ("why", "button")]
        if stage in ("overdue", "escalated"):  # nothing holds back an overdue step: no date to pick
            expected.remove(("hold", "datepicker"))
        assert seen[reminder_id] == expected
    assert CHILD_NAME not in slack.everything_received() and "Ellie" not in json.dumps(post)


def test_a_full_digest_stays_within_slacks_fifty_blocks():
    item = ReminderItem(reminder_id=1, case_reference="C-1", rule_id="r", step_title="Step", stage="due_soon",
                        due_on=dt.date(2026, 11, 25), today=dt.date(2026, 11, 23), reason="Doc, § 1")
    items = [ReminderItem(**{**vars(item), "reminder_id": n}) for n in range(1, DIGEST_MAX + 1)]
    assert len(slack_posts.message(items)["blocks"]) <= 50


def test_an_escalation_mentions_the_cases_team_manager_by_slack_handle(migrated, session, people, east, settings, slack):
    people["tm"].slack_user_id = "U1TM"
    session.commit()
    send(migrated, settings)
    blocks = json.dumps(slack.posts[0]["blocks"])
    assert "*Escalation due: Telephone contact" in blocks
    assert "*Escalate to*\\n<@U1TM> (team manager)" in blocks


# ---- "Done": the usual proposal, recorded only on yes ---------------------------------------------


def test_done_proposes_the_step_and_records_it_only_on_yes(migrated, east, settings, chat):
    send(migrated, settings)
    escalated = reminders(migrated)[("C-7001", "escalated")]
    rule = escalated.rule_id

    reply = press(chat, SW, "done", escalated.id)
    assert reply.pending is not None and reply.pending.rule_id == rule and reply.pending.case == "C-7001"
    assert reply.text.startswith("Telephone contact with the family on C-7001, Mon 23 Nov 2026, by Sam Jones.")
    assert ("Yes, record it", "/affirm") in reply.buttons
    assert steps_recorded(migrated, "C-7001", rule) == 0  # nothing yet

    state = State.from_slots(reply.slots())
    no = chat.respond("sw.jones", "no", state)
    assert no.text == wording.CANCELLED and steps_recorded(migrated, "C-7001", rule) == 0

    reply = press(chat, SW, "done", escalated.id)
    yes = chat.respond("sw.jones", "yes", State.from_slots(reply.slots()))
    assert yes.text.startswith("Recorded on C-7001")
    assert steps_recorded(migrated, "C-7001", rule) == 1

    again = press(chat, SW, "done", escalated.id)  # pressed again later: nothing left to record
    assert again.pending is None and "already recorded" in again.text


def test_a_press_by_someone_who_may_not_see_the_case_changes_nothing(migrated, east, settings, chat):
    send(migrated, settings)
    soon = reminders(migrated)[("C-7002", "due_soon")]
    not_visible = access.NOT_VISIBLE.format(reference="C-7002")
    for kind, day in (("done", None), ("hold", "2026-11-24"), ("why", None)):
        reply = press(chat, OUTSIDER, kind, soon.id, day)
        assert reply.text == not_visible and reply.pending is None
    for kind, day in (("done", None), ("hold", "2026-11-24"), ("why", None)):
        reply = press(chat, "UNOBODY01", kind, soon.id, day)  # not an ehbot practitioner at all
        assert reply.text == wording.UNKNOWN_USER and reply.pending is None
    assert holds(migrated) == []
    assert audit(migrated, "hold_reminder") == []
    assert steps_recorded(migrated, "C-7002", soon.rule_id) == 0
    refused = audit(migrated, "refused")
    assert len(refused) == 6 and {e.case_reference for e in refused} == {"C-7002"}


def test_a_press_on_a_reminder_that_does_not_exist(chat, migrated, east):
    assert press(chat, SW, "why", 999999).text == wording.REMINDER_GONE
    assert press(chat, "UNOBODY01", "why", 999999).text == wording.UNKNOWN_USER


# ---- "Why?" ---------------------------------------------------------------------------------


def test_why_quotes_the_rule_with_its_document_and_section(migrated, east, settings, chat):
    send(migrated, settings)
    escalated = reminders(migrated)[("C-7001", "escalated")]
    reply = press(chat, SW, "why", escalated.id)
    assert reply.text.startswith("Telephone contact with the family")
    assert "The Early Help Process, \u00a7 First Contact" in reply.text
    assert "Escalation: \"Failure to contact the family within 2 working days" in reply.text
    assert CHILD_NAME not in reply.text


# ---- "Remind me on <date>" -----------------------------------------------------------------------


def test_remind_me_on_a_date_holds_the_item_and_is_recorded_with_who_and_when(migrated, east, settings, chat):
    soon = reminders(migrated)[("C-7002", "due_soon")]
    due = soon.due_on
    assert due == dt.date(2026, 11, 24)  # within 2 working days of Friday's allocation; today is the 23rd

    reply = press(chat, SW, "hold", soon.id, "2026-11-24")
    assert reply.text.startswith("OK: no reminder of") and "before Tue 24 Nov 2026" in reply.text
    assert f"still due {wording.day(due)}" in reply.text
    [(case_id, rule, held_due, until, reminder_id, by, stamped)] = holds(migrated)
    assert (rule, held_due, until, reminder_id, by, stamped) == (soon.rule_id, due, dt.date(2026, 11, 24), soon.id,
                                                                  "sw.jones", True)
    [event] = audit(migrated, "hold_reminder")
    assert event.actor == "sw.jones" and event.case_reference == "C-7002"
    assert event.detail == f"reminder {soon.id}: {soon.rule_id} due {due} held until 2026-11-24"
    assert CHILD_NAME not in event.detail and "Sam" not in event.detail

    # The same press handled twice (a retry after a restart): nothing more is written.
    press(chat, SW, "hold", soon.id, "2026-11-24")
    assert len(holds(migrated)) == 1 and len(audit(migrated, "hold_reminder")) == 1

    # Another day (today is allowed: it holds nothing back) replaces it, one hold per item, audited too.
    press(chat, SW, "hold", soon.id, "2026-11-23")
    assert [h[3] for h in holds(migrated)] == [dt.date(2026, 11, 23)] and len(audit(migrated, "hold_reminder")) == 2


def test_a_date_in_the_past_or_after_the_due_date_changes_nothing(migrated, east, settings, chat):
    soon = reminders(migrated)[("C-7002", "due_soon")]
    past = press(chat, SW, "hold", soon.id, "2026-11-20")
    assert past.text == wording.hold_in_past(dt.date(2026, 11, 20), dt.date(2026, 11, 23))
    late = soon.due_on + dt.timedelta(days=1)
    after = press(chat, SW, "hold", soon.id, late.isoformat())
    assert after.text == wording.hold_after_due(late, soon.due_on)
    assert after.text.startswith(f"{wording.day(late)} is after the due date")
    none = press(chat, SW, "hold", soon.id, None)
    assert none.text == wording.REMINDER_PICK_A_DATE
    escalated = reminders(migrated)[("C-7001", "escalated")]
    overdue = press(chat, SW, "hold", escalated.id, "2026-11-24")
    assert "never held back" in overdue.text.splitlines()[0]
    assert holds(migrated) == [] and audit(migrated, "hold_reminder") == []


def test_a_held_reminder_waits_for_its_date_and_an_escalation_is_posted_regardless(
        migrated, session, east, settings, chat, slack, monkeypatch):
    found = reminders(migrated)
    soon, escalated = found[("C-7002", "due_soon")], found[("C-7001", "escalated")]
    assert press(chat, SW, "hold", soon.id, "2026-11-24").text.startswith("OK")
    # Even a hold on an escalated item (set while it was due soon, say) holds nothing back.
    session.add(ReminderHold(case_id=escalated.case_id, rule_id=escalated.rule_id, due_on=escalated.due_on,
                             until=dt.date(2026, 12, 31), reminder_id=escalated.id,
                             held_by_id=session.execute(select(Practitioner.id).where(
                                 Practitioner.username == "sw.jones")).scalar_one()))
    session.commit()

    send(migrated, settings)
    posted = set(int(m[7:]) for m in slack.markers_posted())
    assert escalated.id in posted and soon.id not in posted
    assert reminders(migrated)[("C-7002", "due_soon")].status == "pending"

    send(migrated, settings)  # again the same day: still held
    assert soon.id not in {int(m[7:]) for m in slack.markers_posted()}

    monkeypatch.setenv("EHBOT_TODAY", "2026-11-24")  # the day picked: it goes, once
    send(migrated, settings)
    send(migrated, settings)
    markers = slack.markers_posted()
    assert markers.count(f"ehbot:r{soon.id}") == 1 and markers.count(f"ehbot:r{escalated.id}") == 1
    assert reminders(migrated)[("C-7002", "due_soon")].status == "sent"


# ---- the Slack channel: the press, its retry, the reply in the presser's direct message -------------


class FakeRequest:
    """What the channel reads of Sanic's request for an interactive payload."""

    def __init__(self, payload: dict, headers: dict | None = None):
        self.headers = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
        self.form = {"payload": [json.dumps(payload)]}


def click_payload(user: str, act: dict, channel: str = "C0EAST", ts: str = "1764000000.000001") -> dict:
    return {"type": "block_actions", "user": {"id": user}, "channel": {"id": channel},
            "message": {"ts": ts, "text": "3 ehbot reminders"}, "actions": [act]}


def channel_for(slack) -> SlackInput:
    return SlackInput.from_credentials({"slack_token": slack.token, "slack_signing_secret": "s3cret",
                                        "api_url": slack.api_url, "use_threads": True})


def test_a_press_becomes_the_chats_payload_with_only_the_id_the_button_and_the_day():
    assert reminder_press(action("done", 12)) == '/case_report{"reminder":"12","press":"done"}'
    assert reminder_press(action("why", 12)) == '/case_report{"reminder":"12","press":"why"}'
    assert reminder_press(action("hold", 12, "2026-11-26")) == \
        '/case_report{"reminder":"12","press":"hold","remind_on":"2026-11-26"}'
    assert reminder_press(action("hold", 12, None)) == '/case_report{"reminder":"12","press":"hold"}'
    assert reminder_press(action("hold", 12, "26/11; drop")) == '/case_report{"reminder":"12","press":"hold"}'
    assert reminder_press({"type": "button", "action_id": "ehbot-button-0", "value": "/affirm"}) is None
    assert reminder_press({"type": "button", "action_id": "ehbot_reminder:delete:12"}) is None
    # The chat's own buttons are Rasa's as before: their value is the message.
    button = {"type": "button", "action_id": "ehbot-button-0", "value": "/affirm"}
    assert SlackInput._get_interactive_response(button) == "/affirm"
    assert SlackInput._get_interactive_response(action("hold", 7, "2026-11-26")).endswith('"remind_on":"2026-11-26"}')


def test_the_reply_to_a_press_goes_to_the_pressers_direct_message(slack):
    channel = channel_for(slack)
    pressed = channel.get_metadata(FakeRequest(click_payload(SW, action("done", 12))))
    assert pressed["out_channel"] == SW and pressed["thread_id"] is None
    other = channel.get_metadata(FakeRequest(click_payload(SW, {"type": "button", "action_id": "ehbot-button-0",
                                                                 "value": "/affirm"}, channel="DSAM1")))
    assert other["out_channel"] == "DSAM1" and other["thread_id"] == "1764000000.000001"  # the chat's own: unchanged


def test_a_press_and_slacks_retry_of_it_are_handled_once_and_answered_in_the_dm(
        migrated, east, settings, slack, chat):
    send(migrated, settings)
    escalated = reminders(migrated)[("C-7001", "escalated")]
    channel = channel_for(slack)
    handled = []

    async def on_new_message(message):
        handled.append(message.text)
        user = chat.identify("slack", message.sender_id)
        reply = chat.respond(user, as_rasa_would(message.text), State())
        buttons = [{"title": t, "payload": p} for t, p in reply.buttons]
        await message.output_channel.send_text_with_buttons(message.sender_id, reply.text, buttons)

    payload = click_payload(SW, action("done", escalated.id))
    first = FakeRequest(payload)
    retry = FakeRequest(payload, {channel.retry_num_header: "1", channel.retry_reason_header: "http_timeout"})
    assert delivery_key(first) == delivery_key(retry) is not None

    async def deliver():
        for request in (first, retry):
            text = channel._get_interactive_response(payload["actions"][0])
            await channel.process_message(request, on_new_message, text, SW, channel.get_metadata(request))
        while channel._background_tasks:
            await asyncio.gather(*list(channel._background_tasks))

    before = len(slack.calls)
    asyncio.run(deliver())
    assert handled == [f'/case_report{{"reminder":"{escalated.id}","press":"done"}}']
    replies = slack.calls[before:]
    assert [c["channel"] for c in replies] == [SW]  # the presser's direct message, and nowhere else
    assert "thread_ts" not in replies[0]
    assert replies[0]["text"].startswith("Telephone contact with the family on C-7001")
    values = [e["value"] for b in replies[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert values == ["/affirm", "/deny"]
    assert steps_recorded(migrated, "C-7001", escalated.rule_id) == 0
    assert len(slack.messages["C0EAST"]) == 1  # the team channel holds the reminder post only
