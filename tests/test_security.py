"""Security: who may reach the servers, hostile messages, logs, the audit trail, pins.

- Start refusals and the command lines and endpoints ``ehbot run`` produces (no servers).
- The action server refuses a request without its token (our entry point on a free port).
- A thousand seeded hostile messages through the Conversation API, on SQLite and PostgreSQL:
  no exception, every reply a reply, nothing from a case the claimed sender may not see.
- Logs carry no child's or family member's details; every case view and refusal is audited.
- Rasa gets only messages it survives (length cut, invalid text and sender ids replaced).
- Slow (``-m slow``): Rasa with its HTTP API on and tokens set: the API refuses a request
  without the token, a few hundred hostile messages through REST get no 5xx and leak
  nothing, and neither the tokens nor a child's details reach a log file or a command line.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import random
import re
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import Callable, Optional

import pytest
from sqlalchemy import func, select

from bot import access, credentials
from bot import run as ehbot_run
from bot.conversation import CONCEPTS, Conversation, Proposal, Reply, State
from bot.db.models import AuditEvent, Case, Practitioner
from bot.db.repositories import AuditLog, case_file, normalise_reference
from bot.db.session import session_scope
from bot.demo import CASES, LEAD_PROFESSIONALS, PRACTITIONERS, load_demo
from bot.guidance import registry
from bot.run import RefusedToStart, Servers, exposure
from ehbot_channels import rasa_server

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-11-23"
RASA_TOKEN = "rasa-api-token-for-tests-0123456789"
ACTIONS_TOKEN = "action-server-token-for-tests-9876543210"
SECURITY_SETTINGS = ("EHBOT_RASA_API", "EHBOT_RASA_TOKEN", "EHBOT_RASA_API_NO_TOKEN", "EHBOT_RASA_INTERFACE",
                     "EHBOT_ACTIONS_INTERFACE", "EHBOT_ACTIONS_TOKEN", "EHBOT_REST_CHANNEL", "EHBOT_LOG_LEVEL")
# Who referred each demo case: distinct per case, so a leak names the case it came from.
REFERRERS = {ref: f"Demo Referrer {word}" for (ref, *_), word in zip(CASES, (
    "Ashgrove", "Birchwell", "Cotterill", "Dunmore", "Elderfield", "Fallowby", "Greystoke", "Hazelmere",
    "Ivybridge", "Juniper", "Kestrelton", "Larkspur", "Meadowcroft", "Netherby", "Oakenshaw", "Pendleton",
    "Quarrydale"))}


@pytest.fixture
def settings_env(monkeypatch):
    """None of the security settings set, whatever the shell running the tests has."""
    for name in SECURITY_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def servers(tmp_path, **env) -> Servers:
    return Servers(5005, 5055, tmp_path / "logs", extra_env=env)


# ---- start refusals, command lines and endpoints (no servers) ------------------------------


def test_by_default_both_servers_listen_on_localhost_and_rasas_api_is_off(settings_env, tmp_path):
    found = exposure({})
    assert (found.rasa_interface, found.actions_interface, found.rasa_api, found.rest) == ("127.0.0.1", "127.0.0.1", False, True)
    stack = servers(tmp_path)
    rasa = stack.rasa_command(tmp_path / "model.tar.gz")
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    assert "--enable-api" not in rasa and not any(a.startswith("--auth-token") or a == "-t" for a in rasa)
    assert "--cors" not in rasa
    assert rasa[1:4] == ["-m", "ehbot_channels.rasa_server", "run"]
    actions = stack.actions_command()
    assert actions[1:3] == ["-m", "ehbot_channels.action_server"]
    assert actions[actions.index("--interface") + 1] == "127.0.0.1"
    assert Path(rasa[rasa.index("--endpoints") + 1]) == ROOT / "endpoints.yml"  # no token: the file as committed
    assert "Authorization" not in (ROOT / "endpoints.yml").read_text()


REFUSED = [
    ({"EHBOT_RASA_API": "on"}, "EHBOT_RASA_TOKEN is not set"),
    ({"EHBOT_RASA_API": "on", "EHBOT_RASA_API_NO_TOKEN": "yes"}, "the only value it takes is local-development"),
    ({"EHBOT_RASA_API": "on", "EHBOT_RASA_API_NO_TOKEN": "local-development", "EHBOT_RASA_INTERFACE": "0.0.0.0",
      "EHBOT_REST_CHANNEL": "off"}, "Rasa listens on 0.0.0.0, but EHBOT_RASA_TOKEN is not set"),
    ({"EHBOT_RASA_API": "on", "EHBOT_RASA_API_NO_TOKEN": "local-development", "EHBOT_RASA_INTERFACE": "192.168.1.20",
      "EHBOT_REST_CHANNEL": "off"}, "EHBOT_RASA_TOKEN is not set"),
    ({"EHBOT_ACTIONS_INTERFACE": "0.0.0.0"}, "without EHBOT_ACTIONS_TOKEN"),
    ({"EHBOT_ACTIONS_INTERFACE": "actions.internal"}, "without EHBOT_ACTIONS_TOKEN"),
    ({"EHBOT_RASA_INTERFACE": "0.0.0.0"}, "Set EHBOT_REST_CHANNEL=off"),
    ({"EHBOT_RASA_INTERFACE": "10.0.0.5", "EHBOT_REST_CHANNEL": "on"}, "Set EHBOT_REST_CHANNEL=off"),
    ({"EHBOT_RASA_API": "maybe"}, "EHBOT_RASA_API is 'maybe': set it to on or off"),
    ({"EHBOT_REST_CHANNEL": "of"}, "EHBOT_REST_CHANNEL is 'of'"),
    ({"EHBOT_RASA_API": "on", "EHBOT_RASA_TOKEN": "short"}, "EHBOT_RASA_TOKEN must be at least 16 characters"),
    ({"EHBOT_ACTIONS_TOKEN": "has a space in it somewhere"}, "EHBOT_ACTIONS_TOKEN must be at least 16 characters"),
    ({"EHBOT_LOG_LEVEL": "chatty"}, "EHBOT_LOG_LEVEL is 'CHATTY'"),
]


@pytest.mark.parametrize("env,says", REFUSED, ids=[" ".join(f"{k}={v}" for k, v in e.items()) for e, _ in REFUSED])
def test_unsafe_settings_are_refused_before_either_server_starts(settings_env, tmp_path, env, says):
    with pytest.raises(RefusedToStart, match=re.escape(says)):
        exposure(env)
    stack = servers(tmp_path, **env)
    with pytest.raises(RefusedToStart):
        stack.start(tmp_path / "model.tar.gz")
    assert stack.processes == {}


def test_ehbot_run_refuses_before_it_trains_or_starts_anything(settings_env, monkeypatch):
    monkeypatch.setenv("EHBOT_RASA_API", "on")
    for name in ("overview", "ensure_spacy_pipeline", "train"):
        monkeypatch.setattr(ehbot_run, name, lambda *a, **k: pytest.fail("ehbot run went on after refusing"))
    said = []
    assert ehbot_run.run(report=said.append) == 1
    assert said == ["ehbot: Rasa's HTTP API is on (EHBOT_RASA_API=on) but EHBOT_RASA_TOKEN is not set. Set a token, "
                    "or, for local development on this machine only, EHBOT_RASA_API_NO_TOKEN=local-development."]


def test_the_api_without_a_token_is_allowed_only_deliberately_and_only_on_this_machine(settings_env, tmp_path):
    env = {"EHBOT_RASA_API": "on", "EHBOT_RASA_API_NO_TOKEN": "local-development"}
    assert exposure(env).rasa_api
    rasa = servers(tmp_path, **env).rasa_command(tmp_path / "model.tar.gz")
    assert "--enable-api" in rasa and not any("auth-token" in a for a in rasa)
    assert "WITHOUT a token" in ehbot_run.guards(exposure(env))


def test_the_tokens_are_in_no_command_line_and_no_file(settings_env, tmp_path, monkeypatch):
    env = {"EHBOT_RASA_API": "on", "EHBOT_RASA_TOKEN": RASA_TOKEN, "EHBOT_RASA_INTERFACE": "0.0.0.0",
           "EHBOT_REST_CHANNEL": "off", "EHBOT_ACTIONS_TOKEN": ACTIONS_TOKEN, "EHBOT_ACTIONS_INTERFACE": "0.0.0.0"}
    stack = servers(tmp_path, **env)
    rasa = stack.rasa_command(tmp_path / "model.tar.gz")
    actions = stack.actions_command()
    assert rasa[rasa.index("--interface") + 1] == "0.0.0.0" and "--enable-api" in rasa
    assert actions[actions.index("--interface") + 1] == "0.0.0.0"
    for word in rasa + actions:
        assert RASA_TOKEN not in word and ACTIONS_TOKEN not in word
    written = [Path(rasa[rasa.index("--credentials") + 1]), Path(rasa[rasa.index("--endpoints") + 1])]
    for path in written:
        text = path.read_text()
        assert RASA_TOKEN not in text and ACTIONS_TOKEN not in text
    endpoints = written[1].read_text()
    assert "Authorization: Bearer ${EHBOT_ACTIONS_TOKEN}" in endpoints
    assert 'url: "http://localhost:5055/webhook"' in endpoints  # a wildcard interface is reached locally
    # Rasa itself fills the header in from its environment when it reads the file.
    from rasa.utils.endpoints import read_endpoint_config

    monkeypatch.setenv("EHBOT_ACTIONS_TOKEN", ACTIONS_TOKEN)
    monkeypatch.setenv("EHBOT_TRACKER_URL", "sqlite:///unused")
    action_endpoint = read_endpoint_config(str(written[1]), "action_endpoint")
    assert action_endpoint.headers == {"Authorization": f"Bearer {ACTIONS_TOKEN}"}
    assert action_endpoint.combine_parameters() == {}  # not a query parameter: those reach access logs


def test_an_action_server_on_one_address_is_called_there(settings_env, tmp_path):
    env = {"EHBOT_ACTIONS_INTERFACE": "10.1.2.3", "EHBOT_ACTIONS_TOKEN": ACTIONS_TOKEN}
    rasa = servers(tmp_path, **env).rasa_command(tmp_path / "model.tar.gz")
    assert 'url: "http://10.1.2.3:5055/webhook"' in Path(rasa[rasa.index("--endpoints") + 1]).read_text()


def test_rasa_gets_its_api_token_inside_the_process_not_on_the_command_line():
    args = ["run", "--model", "m.tar.gz", "--enable-api"]
    assert rasa_server.with_token(args, {"EHBOT_RASA_TOKEN": RASA_TOKEN}) == [*args, "--auth-token", RASA_TOKEN]
    assert rasa_server.with_token(args, {}) == args  # the local-development case: no token to add
    assert rasa_server.with_token(["run"], {"EHBOT_RASA_TOKEN": RASA_TOKEN}) == ["run"]  # no API, no token
    for given in (["--auth-token", "x"], ["--auth-token=x"], ["-t", "x"], ["-tx"]):
        with pytest.raises(SystemExit, match="EHBOT_RASA_TOKEN"):
            rasa_server.with_token(["run", "--enable-api", *given], {})


REST_WEBHOOK = "/webhooks/rest/webhook"


def test_rasa_gets_only_messages_it_can_survive(monkeypatch):
    from rasa.core.channels.channel import UserMessage

    monkeypatch.setattr(UserMessage, "__init__", UserMessage.__init__)  # put back afterwards
    rasa_server.guard_messages(UserMessage)
    rasa_server.guard_messages(UserMessage)  # once is enough: not wrapped twice
    limit = rasa_server.MAX_MESSAGE_CHARS
    assert len(UserMessage("what's left on C-1042? " * 5000, sender_id="sam.sw").text) == limit
    assert len(UserMessage(text="x" * 100_000, sender_id="sam.sw").text) == limit
    said = UserMessage("what's left on C-1042?", None, "sam.sw")
    assert (said.text, said.sender_id) == ("what's left on C-1042?", "sam.sw")
    assert UserMessage(None, sender_id="sam.sw").text is None
    assert UserMessage("\ud800what's left\x00 on C-1042\udcff", sender_id="sam.sw").text == \
        "\ufffdwhat's left\ufffd on C-1042\ufffd"
    forged = [UserMessage("hi", sender_id=s).sender_id for s in ("sam.sw\x00", "sam.sw\udcff", "\ud800", "sam.sw" + " " * 300)]
    assert all(f.startswith("invalid-sender-") for f in forged) and len(set(forged)) == 4
    assert UserMessage("hi", sender_id="U" * 255).sender_id == "U" * 255


def test_the_rest_channel_is_off_with_its_setting(settings_env, tmp_path):
    rest = next(c for c in credentials.channels({}) if c.path == REST_WEBHOOK)
    assert rest.yaml().splitlines()[0] in credentials.render({})
    for value in ("off", "OFF", "false", "0", "no"):
        stack = servers(tmp_path, EHBOT_REST_CHANNEL=value, EHBOT_RASA_INTERFACE="0.0.0.0")
        assert not stack.exposure().rest  # and so Rasa may listen beyond this machine
        assert all(c.path != REST_WEBHOOK for c in credentials.channels(stack.channel_env()))
        rasa = stack.rasa_command(tmp_path / "model.tar.gz")
        written = Path(rasa[rasa.index("--credentials") + 1]).read_text()
        assert rest.yaml().splitlines()[0] not in written and written.rstrip().endswith("{}")


def test_the_action_server_refuses_to_start_on_a_public_interface_without_a_token(settings_env, capsys):
    from ehbot_channels import action_server

    assert action_server.main(["--actions", "actions", "--interface", "0.0.0.0", "--port", "1"]) == 2
    assert "without EHBOT_ACTIONS_TOKEN" in capsys.readouterr().err


def test_every_installed_distribution_is_pinned_at_its_installed_version():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[_canonical(name)] = version
    unpinned, wrong = [], []
    for dist in metadata.distributions():
        name = _canonical(dist.metadata["Name"])
        if name in ("ehbot", "pip"):  # the project itself; pip is pinned by the Makefile
            continue
        if name not in pins:
            unpinned.append(name)
        elif pins[name] != dist.version:
            wrong.append(f"{name} {dist.version} (pinned {pins[name]})")
    assert unpinned == [] and wrong == []


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ---- the action server's token, on a real server ---------------------------------------------


def _listening_addresses(port: int) -> set[str]:
    """The local addresses a socket on this machine listens on at ``port`` (/proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(".".join(str(b) for b in reversed(raw)))
                else:
                    found.add(":".join(raw[i:i + 4][::-1].hex() for i in range(0, 16, 4)))
    return found


def _post(url: str, body: dict, headers: Optional[dict] = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _action_call(sender: str, text: str, action: str = "action_respond", intent: str = "ask_case_status") -> dict:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": []}
    tracker = {"sender_id": sender, "slots": {}, "latest_message": parse, "paused": False, "followup_action": None,
               "active_loop": {}, "latest_action_name": "action_listen",
               "events": [{"event": "user", "text": text, "parse_data": parse, "input_channel": "rest"}]}
    return {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": {}, "version": "3.6.21"}


def _audit_count(engine) -> int:
    with session_scope(engine) as s:
        return s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def test_the_action_server_refuses_a_request_without_its_token_and_listens_on_localhost(settings_env, tmp_path):
    from bot.db.migrate import upgrade
    from bot.db.session import make_engine

    from rasa_support import free_port

    db = f"sqlite:///{tmp_path / 'ehbot.sqlite3'}"
    upgrade(db)
    engine = make_engine(db)
    with session_scope(engine) as s:
        load_demo(s)
    port = free_port()
    stack = Servers(free_port(), port, tmp_path / "logs",
                    extra_env={"EHBOT_DATABASE_URL": db, "EHBOT_TODAY": TODAY, "EHBOT_ACTIONS_TOKEN": ACTIONS_TOKEN})
    try:
        stack.start_actions()
        stack.wait_until_up(timeout=120)  # its /health answers without the token
        assert _listening_addresses(port) == {"127.0.0.1"}
        webhook = f"http://127.0.0.1:{port}/webhook"
        call = _action_call("sam.sw", "what's left on C-1042?")
        before = _audit_count(engine)
        for headers in ({}, {"Authorization": "Bearer wrong-token-000000000000"}, {"Authorization": ACTIONS_TOKEN},
                        {"Authorization": f"Bearer {ACTIONS_TOKEN}x"}, {"X-Token": ACTIONS_TOKEN}):
            status, body = _post(webhook, call, headers)
            assert status == 401 and "responses" not in body, headers
        assert _post(webhook + f"?token={ACTIONS_TOKEN}", call)[0] == 401  # only the header counts
        assert _audit_count(engine) == before  # refused before any action ran: nothing looked at
        status, body = _post(webhook, call, {"Authorization": f"Bearer {ACTIONS_TOKEN}"})
        assert status == 200
        text = " ".join(r["text"] for r in body["responses"])
        assert text.startswith("C-1042: CADS outcome") and "Next:" in text
        assert _audit_count(engine) == before + 1  # sam's view of C-1042
        request = urllib.request.Request(f"http://127.0.0.1:{port}/actions")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 401
    finally:
        stack.stop()
        engine.dispose()
    log = (tmp_path / "logs" / "actions.log").read_text()
    assert "refused a request to /webhook without the action token" in log
    assert ACTIONS_TOKEN not in log and "Fictional Child" not in log


# ---- a thousand hostile messages --------------------------------------------------------------

SEED = 20261123
INJECTIONS = (
    "'; DROP TABLE cases; --", "' OR '1'='1", "\" OR 1=1 --", "1; SELECT child_name FROM cases",
    "' UNION SELECT child_name, referrer_name FROM cases --", "%' OR reference LIKE '%", "\\'; DELETE FROM audit_events; --",
    "{{7*7}}", "{{ config }}", "{% for c in cases %}{{ c.child_name }}{% endfor %}", "${EHBOT_SLACK_BOT_TOKEN}",
    "%s%s%s%n", "%(child_name)s", "{0.__class__.__mro__}", "{case.child_name}", "{reference}", "#{7*7}", "<%= 7*7 %>",
    "<!channel>", "<!here|here>", "<!everyone>", "<@UDEMO0TOM>", "<#C0123|general>", "*bold* _it_ ~s~ `code` ```block```",
    "<https://evil.example/phish|click here>", "&lt;!channel&gt;", "<script>alert(1)</script>", "[click](javascript:alert(1))",
)
# Never in a reply: the reply would be echoing the injection.
MARKERS = ("DROP TABLE", "UNION SELECT", "DELETE FROM", "{{", "{%", "${", "%s", "%(", "__class__", "<!channel", "<!here",
           "<!everyone", "<@U", "<#C", "<script", "javascript:", "evil.example", "\x00")
# (what is said, the operation the chat would call for it, the step it names)
PHRASES = (
    ("what's left on {ref}?", "case_status", None),
    ("I've finished a CADS assessment, threshold not met for {ref}, progress to a new CAF", "report_outcome", None),
    ("mum gave consent today on {ref}", "propose_step", "consent_given"),
    ("the referrer agreed to be lead professional on {ref}", "propose_step", "lead_professional_agreed"),
    ("Ada Quill the school nurse agreed to be lead professional for {ref}", "propose_step", "lead_professional_agreed"),
    ("the TM signed it off this morning for {ref}", "propose_step", "team_manager_sign_off"),
    ("I've shared my recommendation with the TM on {ref}", "propose_step", "recommendation_to_team_manager"),
    ("initial FPM booked for 14 Jan on {ref}", "propose_step", "family_planning_meeting_booked"),
    ("phoned the family today {ref}", "propose_step", "telephone_contact"),
    ("no one will take the LP role on {ref}", "lead_professional_ladder", None),
    ("mum disagrees with the step-down on {ref}", "record_disagreement", None),
    ("why is {ref} blocked?", "why", None),
    ("{ref}", "case_status", None),
    ("checklist for {ref}", "step_down_checklist", None),
)
NO_REFERENCE = ("what's due on my cases this week?", "what's overdue in my team?", "help", "yes", "no",
                "who gains consent?", "what if consent is declined?", "why?")
HOMOGLYPHS = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "s": "\u0455", "m": "\u217f", "t": "\u0442", "p": "\u0440"}
REFERENCE_IN_REPLY = re.compile(r"(?<![\w-])[A-Z]{1,4}-\d+(?!\d)")
# The wording's own example reference ("give me its reference, like C-1042"; quoted examples in help).
EXAMPLE_REFERENCE = re.compile(r'like C-1042\b|"[^"\n]*C-1042[^"\n]*"')


def reference_spellings(ref: str) -> list[str]:
    """C-6001 as a practitioner, a typo or an attacker might write it."""
    letter, digits = ref.split("-")
    fullwidth = digits.translate({ord(d): chr(0xFF10 + int(d)) for d in "0123456789"})
    arabic = digits.translate({ord(d): chr(0x0660 + int(d)) for d in "0123456789"})
    return [ref, ref.lower(), f"{letter}{digits}", f"{letter.lower()} {digits}", f"{letter}_{digits}", f"  {ref}  ",
            f"{letter}\u2010{digits}", f"{letter}\u2013{digits}", f"{letter}-{fullwidth}", f"{letter}-{arabic}",
            f"\u0421-{digits}", f"{ref}\u200b", f"{letter}-0{digits}", f"{ref}C-9999", f"{letter}{letter}-{digits}",
            f"{letter}--{digits}", f"{ref}.0", f"{ref}\x00", f"{letter}-{digits[:2]} {digits[2:]}", f"{ref}'--"]


@dataclasses.dataclass
class Hostile:
    kind: str  # what makes it hostile
    channel: str
    sender: str
    text: str
    op: str
    args: dict
    say_yes: bool  # confirm a proposal the reply makes


@dataclasses.dataclass
class Demo:
    """The demo data as the oracle sees it: who each sender is, and what each may see."""

    ids: dict  # channel -> {sender id: username}
    visible: dict  # username -> set of references access.may_see allows
    details: dict  # reference -> identifying details (the reference, child, referrer, lead professional)
    refs: list

    def user(self, channel: str, sender: str) -> Optional[str]:
        # Surrounding whitespace is not part of an id; nothing else is forgiven.
        table = self.ids.get(channel, {})
        return table.get(sender) or table.get(sender.strip())

    def hidden_from(self, username: Optional[str]) -> list[str]:
        seen = self.visible.get(username, set())
        return [r for r in self.refs if r not in seen]


def demo_oracle(engine) -> Demo:
    with session_scope(engine) as s:
        people = list(s.execute(select(Practitioner)).scalars())
        rows = list(s.execute(select(Case)).unique().scalars())
        files = [case_file(r) for r in rows]
        details = {r.reference: [r.reference, r.child_name, r.referrer_name] + ([r.lead_professional_name] if r.lead_professional_name else [])
                   for r in rows}
        visible = {p.username: {f.reference for f in files if access.may_see(p, f)} for p in people}
    ids = {"rest": {u: u for u, *_ in PRACTITIONERS}, "cmdline": {u: u for u, *_ in PRACTITIONERS},
           "slack": {slack: u for u, _, _, _, slack, _ in PRACTITIONERS if slack},
           "botframework": {teams: u for u, _, _, _, _, teams in PRACTITIONERS if teams}}
    return Demo(ids, visible, details, sorted(details))


def forged_sender(rng: random.Random, demo: Demo) -> tuple[str, str]:
    username, _, _, _, slack, teams = rng.choice(PRACTITIONERS)
    lookalike = "".join(HOMOGLYPHS.get(c, c) if rng.random() < 0.5 else c for c in username)
    if lookalike == username:
        lookalike = username.replace("s", HOMOGLYPHS["s"], 1).replace("t", HOMOGLYPHS["t"], 1)
    return rng.choice([
        ("rest", lookalike), ("rest", username.upper()), ("rest", username.title()), ("rest", username[:2] + "\u200b" + username[2:]),
        ("rest", "\u200b" + username), ("rest", username + "\u00ad"), ("rest", username + "\x00"), ("rest", username + "\udcff"),
        ("rest", "\ud800"), ("rest", username.replace(".", "\u2024")), ("rest", username + "'--"), ("rest", "' OR '1'='1"),
        ("rest", ""), ("rest", " "), ("rest", "x" * 10_000), ("rest", username * 500), ("rest", "mallory.mx"),
        ("rest", slack), ("slack", username), ("slack", slack.lower()), ("slack", slack + " OR 1=1"),
        ("botframework", (teams or "demo-teams-x").upper()), ("botframework", username), ("facebook", username),
        ("cmdline", lookalike), ("rest", f" {username}\t"),  # padded: still that practitioner
    ])


def hostile_text(rng: random.Random, kind: str, refs: list[str], phrase: str) -> str:
    ref = rng.choice(refs)
    if kind == "empty":
        return ""
    if kind == "whitespace":
        return rng.choice([" ", "\t\n ", "\u00a0\u3000", "\u200b\u200b", "\r\n" * 40, "\u2028\u2029", "\ufeff"])
    if kind == "long":  # 100 KB, with a reference somewhere in it
        filler = "".join(rng.choice("abcdefghij klmnopqrstuvwxyz.,") for _ in range(100_000))
        at = rng.randrange(len(filler))
        return (filler[:at] + " " + phrase.format(ref=ref) + " " + filler[at:])[:100_000]
    if kind == "control":
        said = phrase.format(ref=ref)
        noise = [chr(c) for c in range(32)] + ["\x7f", "\u202e", "\ufeff", "\u0085"]
        return "".join(c + (rng.choice(noise) if rng.random() < 0.3 else "") for c in said)
    if kind == "bad_utf8":
        broken = bytes(rng.randrange(128, 256) for _ in range(rng.randrange(1, 12))).decode("utf-8", "surrogateescape")
        return rng.choice([broken + phrase.format(ref=ref), phrase.format(ref=ref) + broken, "\ud800" + phrase.format(ref=ref)])
    if kind == "injection":
        injection = rng.choice(INJECTIONS)
        return rng.choice([phrase.format(ref=ref) + " " + injection, phrase.format(ref=ref + injection),
                           injection + " " + phrase.format(ref=ref), phrase.format(ref=injection)])
    if kind == "odd_reference":
        return phrase.format(ref=rng.choice(reference_spellings(ref)))
    if kind == "no_reference":
        return rng.choice(NO_REFERENCE)
    return phrase.format(ref=ref)  # "other_team": a plain reference to a case the sender may not see


KINDS = ("empty", "whitespace", "long", "control", "bad_utf8", "injection", "odd_reference", "other_team", "no_reference")
KIND_WEIGHTS = (3, 5, 2, 12, 12, 20, 20, 20, 6)


def hostile_messages(demo: Demo, n: int = 1000, seed: int = SEED) -> list[Hostile]:
    """``n`` hostile messages, the same ones for the same seed."""
    rng = random.Random(seed)
    reg = registry()
    rules = sorted(reg.rules)
    checklist = [r for r in rules if ".checklist-" in r]
    known = [(ch, sid) for ch, table in demo.ids.items() for sid in table]
    found = []
    for _ in range(n):
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        channel, sender = rng.choice(known) if rng.random() < 0.6 else forged_sender(rng, demo)
        claimed = demo.user(channel, sender)
        hidden = demo.hidden_from(claimed) or demo.refs
        own = sorted(demo.visible.get(claimed, ()))
        # Half the time on a case the sender may see, so hostile words reach the writes too.
        pool = own if own and kind != "other_team" and rng.random() < 0.7 else hidden
        phrase, op, concept = rng.choice(PHRASES)
        text = hostile_text(rng, kind, pool, phrase)
        typed = next((m.group(0) for m in re.finditer(r"[A-Za-z]{1,4}[\s_-]*\d{3,10}", text)), None)
        # As the actions pass it: none (read from the words), the entity as found or normalised, or junk.
        case_ref = None if pool is own and rng.random() < 0.6 else rng.choice(
            [None, typed, typed and normalise_reference(typed), text[:40], rng.choice(reference_spellings(rng.choice(hidden)))])
        if rng.random() < 0.4:  # otherwise the operation the words ask for
            op = rng.choice(("respond", "respond", "case_status", "report_outcome", "propose_step", "why", "due", "answer_question",
                             "step_down_checklist", "lead_professional_ladder", "record_disagreement", "help",
                             "cancel", "confirm_forged"))
        args = {
            "case_ref": case_ref,
            "concept": concept if concept and rng.random() < 0.8 else
            rng.choice(list(CONCEPTS) + ["'; DROP TABLE recorded_steps; --", "{{7*7}}"]),
            "path": rng.choice([None, "progress_to_caf", "link_existing_caf", "signpost_early_help", "<!channel>"]),
            "rule_id": rng.choice([None, rng.choice(rules), "cads.x' OR '1'='1"]),
            "scope": rng.choice(["mine", "team", "'; DROP TABLE cases; --"]),
            "topic": rng.choice([None, "consent", "advice-only", "{{ config }}"]),
            "answer": rng.choice([None, True, False]),
            "item": rng.choice([None, rng.choice(checklist), "%s%s%n"]),
            "party": rng.choice(["family", "agency", None, "<!channel>"]),
            "forged": {"kind": "record", "case": rng.choice(hidden), "label": "x", "rule_id": rng.choice(rules),
                       "record": "step", "date": TODAY, "outcome": None, "consent": None, "lead_professional": None,
                       "pathway": None, "by": rng.choice([claimed, rng.choice(PRACTITIONERS)[0], "' OR 1=1 --"])},
        }
        found.append(Hostile(kind, channel, sender, text, op, args, say_yes=rng.random() < 0.8))
    return found


def run_turn(conv: Conversation, user: Optional[str], m: Hostile) -> list[Reply]:
    a, text = m.args, m.text
    calls: dict[str, Callable[[], Reply]] = {
        "case_status": lambda: conv.case_status(user, a["case_ref"], text),
        "report_outcome": lambda: conv.report_outcome(user, text, a["case_ref"], a["path"]),
        "propose_step": lambda: conv.propose_step(user, a["concept"], text, a["case_ref"]),
        "why": lambda: conv.why(user, a["case_ref"], a["rule_id"]),
        "due": lambda: conv.due(user, a["scope"], text),
        "answer_question": lambda: conv.answer_question(user, text),
        "respond": lambda: conv.respond(user, text, State(case_ref=a["case_ref"], pending=Proposal.from_slot(a["forged"]))),
        "step_down_checklist": lambda: conv.step_down_checklist(user, a["case_ref"], a["answer"], a["item"]),
        "lead_professional_ladder": lambda: conv.lead_professional_ladder(user, a["case_ref"], a["answer"], text),
        "record_disagreement": lambda: conv.record_disagreement(user, a["case_ref"], a["party"], text),
        "help": lambda: conv.help(user),
        "cancel": lambda: conv.cancel(user, a["forged"] if a["answer"] else None),
        "confirm_forged": lambda: conv.confirm(user, a["forged"]),
    }
    replies = [calls[m.op]()]
    if m.say_yes and replies[0].pending:
        replies.append(conv.confirm(user, replies[0].pending))
    return replies


def reply_leaks(reply, claimed: Optional[str], demo: Demo) -> list[str]:
    """What is wrong with a reply to ``claimed``: empty, unsendable, echoing an injection, or
    naming a case ``claimed`` may not see (beyond the "no such case" refusal, word for word)."""
    if not isinstance(reply, Reply) or not isinstance(reply.text, str) or not reply.text.strip():
        return [f"not a reply: {reply!r}"]
    shown = "\n".join([reply.text] + [f"{t} {p}" for t, p in reply.buttons])
    problems = []
    try:
        shown.encode("utf-8")
    except UnicodeEncodeError:
        problems.append("cannot be sent: not valid text")
    problems += [f"echoes {m!r}" for m in MARKERS if m in shown]
    hidden = set(demo.hidden_from(claimed))
    for ref in hidden:
        for detail in demo.details[ref][1:]:
            if detail and detail in shown:
                problems.append(f"names {detail!r} of {ref}")
    for ref in REFERENCE_IN_REPLY.findall(EXAMPLE_REFERENCE.sub(" ", shown)):
        if ref in hidden and reply.text != access.NOT_VISIBLE.format(reference=ref):
            problems.append(f"shows {ref}, which {claimed or 'an unknown sender'} may not see")
    every_child = [details[1] for details in demo.details.values()]
    problems += [f"names the child {c!r}" for c in every_child if c in shown]  # never, even on a case they see
    return problems


@pytest.fixture
def demo_engine(migrated):
    with session_scope(migrated) as s:
        load_demo(s)
        for row in s.execute(select(Case)).scalars():
            row.referrer_name = REFERRERS[row.reference]
    return migrated


def test_a_thousand_hostile_messages_get_replies_and_nothing_from_a_case_the_sender_may_not_see(demo_engine):
    demo = demo_oracle(demo_engine)
    assert {r for r, *_ in LEAD_PROFESSIONALS} <= {r for r, d in demo.details.items() if len(d) == 4}
    assert demo.visible["pat.sw"] == {"C-6001"} and "C-6001" not in demo.visible["sam.sw"]  # teams apart
    conv = Conversation(lambda: session_scope(demo_engine))
    messages = hostile_messages(demo)
    assert hostile_messages(demo, n=5) == messages[:5]  # seeded: the same messages every run
    kinds = {m.kind for m in messages}
    assert kinds == set(KINDS) and {m.op for m in messages} >= {"case_status", "report_outcome", "confirm_forged"}
    with session_scope(demo_engine) as s:
        before = {t: s.execute(select(func.count()).select_from(t)).scalar_one() for t in (Case, Practitioner)}
    problems, written = [], 0
    for m in messages:
        claimed = demo.user(m.channel, m.sender)
        user = conv.identify(m.channel, m.sender)
        if user != claimed:
            problems.append(f"{m.channel} sender {m.sender[:30]!r} identified as {user!r}, not {claimed!r}")
        for reply in run_turn(conv, user, m):
            written += reply.text.startswith(("Recorded on", "Booked on"))
            problems += [f"{m.kind}/{m.op} from {m.sender[:20]!r}: {p} in {reply.text[:120]!r}"
                         for p in reply_leaks(reply, claimed, demo)]
    assert problems == [], f"{len(problems)} problems, e.g.\n" + "\n".join(sorted(set(problems))[:40])
    assert written >= 3  # proposals made from hostile words were confirmed and written
    with session_scope(demo_engine) as s:
        assert {t: s.execute(select(func.count()).select_from(t)).scalar_one() for t in (Case, Practitioner)} == before
        events = AuditLog(s).events()
    assert demo_oracle(demo_engine).visible == demo.visible  # nothing the chat did widened who sees what
    refused = [e for e in events if e.action == "refused"]
    assert len(refused) > 50 and all(e.at is not None for e in events)
    names = [d for details in demo.details.values() for d in details[1:]]
    for e in events:
        trail = f"{e.actor} {e.case_reference} {e.detail}"
        assert not [n for n in names if n in trail] and not [m for m in MARKERS if m in trail], trail


# ---- logs carry no child's or family member's details ----------------------------------------

PARTNER = "Ada Quill"  # a lead professional named in a message: a partner's name, kept on the case only


def _tracker(text: str, intent: str, sender: str = "sam.sw", entities=(), slots=None, channel: str = "rest"):
    from rasa_sdk import Tracker

    parse = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": list(entities),
             "intent_ranking": [{"name": intent, "confidence": 0.95}]}
    event = {"event": "user", "text": text, "parse_data": parse, "input_channel": channel}
    return Tracker(sender, dict(slots or {}), parse, [event], False, None, {}, "action_listen")


def _through_the_actions(conv: Conversation) -> list[str]:
    """A practitioner's afternoon, through the custom actions as Rasa would call them."""
    from rasa_sdk.executor import CollectingDispatcher

    from actions import common, respond

    said, slots = [], {}

    def act(text, intent, sender="sam.sw", entities=(), channel="rest"):
        dispatcher = CollectingDispatcher()
        events = respond.ActionRespond().run(dispatcher, _tracker(text, intent, sender, entities, slots, channel), {})
        slots.update({e["name"]: e["value"] for e in events if e.get("event") == "slot"})
        said.extend(m.get("text") or "" for m in dispatcher.messages)

    common.use_conversation(conv)
    try:
        act("I've finished a CADS assessment, threshold not met for C-1042, progress to a new CAF", "report_outcome",
            entities=[{"entity": "outcome_path", "value": "progress_to_caf"}])
        act("yes", "affirm")
        act("mum gave consent today", "record_step", entities=[{"entity": "concept", "value": "consent_given"}])
        act("yes", "affirm")
        act(f"{PARTNER} the school nurse agreed to be lead professional", "record_step",
            entities=[{"entity": "concept", "value": "lead_professional_agreed"}])
        act("yes", "affirm")
        act("what's left on C-1042?", "ask_case_status")
        act("why?", "ask_why")
        act("what's due on my cases this week?", "ask_due_mine")
        act("no one will take the LP role on C-1043", "no_lead_professional")
        act("checklist for C-2002", "start_step_down_checklist", sender="UDEMO0TESS", channel="slack")
        act("what's left on C-1042?", "ask_case_status", sender="pat.sw")
        act("what's left on C-1042?", "ask_case_status", sender="stranger")
        act("the boy on C-1042 says his stepdad burnt him with a lighter", "record_step")
    finally:
        common.use_conversation(None)
    return said


def test_a_working_conversation_logs_no_child_or_family_detail_even_at_debug(demo_engine, caplog):
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy keeps its loggers at WARNING unless an engine is made with echo (ehbot never does):
    # its INFO and DEBUG records would carry query parameters and rows, case details among them.
    assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)
    conv = Conversation(lambda: session_scope(demo_engine))
    said = _through_the_actions(conv)
    assert any(s.startswith("Recorded on C-1042") for s in said) and any(PARTNER in s for s in said)
    assert any(s.startswith("I can't find a case C-1042") for s in said)  # pat's refusal
    # The core directly too, a failure included.
    conv.propose_step("sam.sw", "family_planning_meeting_booked", "initial FPM booked for 14 Jan on C-1042")
    conv.record_disagreement("sam.sw", "C-2001", "family", "mum disagrees with the step-down on C-2001")
    broken = Conversation(lambda: (_ for _ in ()).throw(RuntimeError("the database said no")))
    with pytest.raises(RuntimeError):
        broken.case_status("sam.sw", "C-1042")
    with session_scope(demo_engine) as s:
        details = [d for r in s.execute(select(Case)).scalars()
                   for d in (r.child_name, r.referrer_name, r.lead_professional_name) if d]
    assert PARTNER in details and len(details) >= 2 * len(CASES)
    assert logging.getLogger("bot").isEnabledFor(logging.DEBUG)  # everything ours was captured
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "chat recorded" in logged and "refused" in logged  # the conversation did log
    assert [d for d in details if d in logged] == []
    assert "lighter" not in logged and "safeguarding reply given" in logged  # a disclosure: that it was answered, never its words


def test_the_servers_run_at_info_whatever_log_level_the_shell_has(settings_env, tmp_path, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")  # Rasa logs every message's text at DEBUG
    captured = {}
    monkeypatch.setattr(ehbot_run.subprocess, "Popen", lambda cmd, **kw: captured.setdefault("env", kw["env"]))
    servers(tmp_path)._spawn("actions", ["true"])
    assert captured["env"]["LOG_LEVEL"] == "INFO" and captured["env"]["LOG_LEVEL_LIBRARIES"] == "ERROR"
    captured.clear()
    servers(tmp_path, EHBOT_LOG_LEVEL="debug")._spawn("actions", ["true"])
    assert captured["env"]["LOG_LEVEL"] == "DEBUG"  # only when asked for by name


# ---- the audit log records every case view -----------------------------------------------------


def _events(engine) -> list:
    with session_scope(engine) as s:
        return [(e.id, e.actor, e.action, e.case_reference, e.detail, e.at) for e in AuditLog(s).events()]


VIEWS = [
    # (what shows a case, who asks, the call, the case, the audit detail)
    ("status", "sam.sw", lambda c: c.case_status("sam.sw", "C-1042"), "C-1042", "chat: status"),
    ("status from the words", "sam.sw", lambda c: c.case_status("sam.sw", None, "what's left on c 1043?"), "C-1043", "chat: status"),
    ("outcome walk", "sam.sw", lambda c: c.report_outcome("sam.sw", "threshold not met for C-1042"), "C-1042", "chat: report_outcome"),
    ("a step proposed", "sam.sw", lambda c: c.propose_step("sam.sw", "consent_given", "mum gave consent today", "C-1042"), "C-1042", "chat: propose"),
    ("why", "sam.sw", lambda c: c.why("sam.sw", "C-1043", None), "C-1043", "chat: why"),
    ("due on my cases", "erin.ehw", lambda c: c.due("erin.ehw", "mine", "this week"), "C-4001", "chat: due list (mine)"),
    ("overdue in my team", "tess.tm", lambda c: c.due("tess.tm", "team"), "C-4001", "chat: due list (team)"),
    ("step-down checklist", "tess.tm", lambda c: c.step_down_checklist("tess.tm", "C-2002"), "C-2002", "chat: checklist"),
    ("lead professional ladder", "sam.sw", lambda c: c.lead_professional_ladder("sam.sw", "C-1043"), "C-1043", "chat: ladder"),
    ("a disagreement", "sam.sw", lambda c: c.record_disagreement("sam.sw", "C-2001", "family", "mum disagrees"), "C-2001", "chat: propose"),
]
REFUSALS = [
    ("status", "pat.sw", lambda c: c.case_status("pat.sw", "C-1042"), "C-1042", "status: not found or not visible"),
    ("status, unknown sender", "unknown", lambda c: c.case_status(None, "C-1042"), "C-1042", "status: not found or not visible"),
    ("status, no such case", "sam.sw", lambda c: c.case_status("sam.sw", "C-9999"), "C-9999", "status: not found or not visible"),
    ("outcome walk", "pat.sw", lambda c: c.report_outcome("pat.sw", "threshold not met for C-1042"), "C-1042", "report_outcome: not found"),
    ("a step proposed", "sam.sw", lambda c: c.propose_step("sam.sw", "consent_given", "consent today", "C-6001"), "C-6001", "propose: not found"),
    ("a forged yes", "pat.sw", lambda c: c.confirm("pat.sw", {"kind": "record", "case": "C-1042", "by": "pat.sw", "record": "step",
                                                             "rule_id": "cads.assessment-outcome", "date": TODAY}), "C-1042", "record: not found"),
    ("why", "tom.tm", lambda c: c.why("tom.tm", "C-1043", None), "C-1043", "why: not found"),
    ("step-down checklist, not the case's manager", "sam.sw", lambda c: c.step_down_checklist("sam.sw", "C-2002"), "C-2002",
     "checklist: not the case's team manager"),
    ("step-down checklist, other team", "tom.tm", lambda c: c.step_down_checklist("tom.tm", "C-2002"), "C-2002", "checklist: not found"),
    ("lead professional ladder", "pat.sw", lambda c: c.lead_professional_ladder("pat.sw", "C-1043"), "C-1043", "ladder: not found"),
    ("a disagreement", "pat.sw", lambda c: c.record_disagreement("pat.sw", "C-2001", "family", "mum disagrees"), "C-2001", "propose: not found"),
]


@pytest.mark.parametrize("what,who,call,ref,detail", VIEWS, ids=[v[0] for v in VIEWS])
def test_every_way_the_chat_shows_a_case_is_audited_with_who_and_when(demo_engine, what, who, call, ref, detail):
    conv = Conversation(lambda: session_scope(demo_engine))
    before = {e[0] for e in _events(demo_engine)}
    reply = call(conv)
    assert ref in reply.text or reply.case_reference == ref
    new = [e for e in _events(demo_engine) if e[0] not in before]
    assert [(actor, ref_, d) for _, actor, action, ref_, d, _ in new if action == "view" and ref_ == ref] == [(who, ref, detail)]
    assert all(at is not None and at.date() == dt.date.fromisoformat(TODAY) for *_, at in new)


@pytest.mark.parametrize("what,who,call,ref,detail", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_every_refusal_is_audited_with_who_and_when(demo_engine, what, who, call, ref, detail):
    conv = Conversation(lambda: session_scope(demo_engine))
    before = {e[0] for e in _events(demo_engine)}
    call(conv)
    new = [e for e in _events(demo_engine) if e[0] not in before]
    [(_, actor, _, ref_, d, at)] = [e for e in new if e[2] == "refused"]
    assert (actor, ref_) == (who, ref) and d.startswith(detail)
    assert at is not None and at.date() == dt.date.fromisoformat(TODAY)
    # Nothing shown beyond the refusal, but for a case the asker may see (sam sees C-2002; the checklist is not his).
    assert [e[2] for e in new] == (["view", "refused"] if "not the case's manager" in what else ["refused"])


@pytest.mark.parametrize("flags", [[], ["--json"], ["--all"]], ids=["text", "json", "all"])
def test_the_command_lines_case_view_is_audited_with_who(demo_engine, db_url, monkeypatch, capsys, flags):
    from bot.cli import main

    monkeypatch.setenv("EHBOT_DATABASE_URL", db_url)
    before = {e[0] for e in _events(demo_engine)}
    assert main(["case", "show", "C-1042", "--user", "operator.jo", *flags]) == 0
    out = capsys.readouterr().out
    assert "C-1042" in out and "Fictional Child" not in out and REFERRERS["C-1042"] not in out
    new = [e for e in _events(demo_engine) if e[0] not in before]
    assert [(actor, action, ref, d) for _, actor, action, ref, d, _ in new] == [("operator.jo", "view", "C-1042", "case file")]
    assert new[0][-1].date() == dt.date.fromisoformat(TODAY)


# ---- slow: the real servers, with Rasa's API on and both tokens set -------------------------------

REST_SAMPLE = 300
# Intent payloads anyone can type into REST: entities straight into the slots that take them.
PAYLOADS = ('/case_question{{"CASE_REF":"{ref}"}}', '/case_report{{"outcome_path":"progress_to_caf","CASE_REF":"{ref}"}}',
            '/case_report{{"concept":"consent_given","CASE_REF":"{ref}"}}', '/case_question{{"CASE_REF":"{ref}"}}',
            '/no_lead_professional{{"CASE_REF":"{ref}"}}', '/start_step_down_checklist{{"CASE_REF":"{ref}"}}',
            '/affirm', '/case_report{{"concept":"<!channel>"}}', '/ask_why{{"CASE_REF":"{ref}\\u0000"}}')


def _http(method: str, url: str, body: Optional[bytes] = None) -> int:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _rest(url: str, sender: str, text: str) -> tuple[int, list]:
    body = json.dumps({"sender": sender, "message": text}).encode()  # lone surrogates go as \\udcxx escapes
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=180) as response:
            return response.status, json.loads(response.read() or b"[]")
    except urllib.error.HTTPError as exc:
        return exc.code, []


@pytest.fixture(scope="module")
def guarded_stack(tmp_path_factory):
    from rasa_support import demo_stack

    tmp = tmp_path_factory.mktemp("security")
    env = {"EHBOT_RASA_API": "on", "EHBOT_RASA_TOKEN": RASA_TOKEN, "EHBOT_ACTIONS_TOKEN": ACTIONS_TOKEN}
    with demo_stack(tmp, TODAY, **env) as (stack, stack_env):
        from bot.db.session import make_engine

        engine = make_engine(stack_env["EHBOT_DATABASE_URL"])
        with session_scope(engine) as s:
            for row in s.execute(select(Case)).scalars():
                row.referrer_name = REFERRERS[row.reference]
        yield {"servers": stack, "url": f"http://127.0.0.1:{stack.rasa_port}", "engine": engine, "tmp": tmp,
               "pids": {name: proc.pid for name, proc in stack.processes.items()}}
        engine.dispose()


@pytest.mark.slow
def test_rasas_api_refuses_a_request_without_its_token(guarded_stack):
    url = guarded_stack["url"]
    assert _http("GET", f"{url}/") == 200  # the health check: says nothing
    for path in ("/status", "/domain", "/conversations/sam.sw/tracker"):
        assert _http("GET", f"{url}{path}") == 401, path
        assert _http("GET", f"{url}{path}?token=not-the-token-000000") == 401, path
    # Loading a model over the API: the way in for CVE-2024-49375.
    assert _http("PUT", f"{url}/model", json.dumps({"model_file": "/tmp/evil.tar.gz"}).encode()) == 401
    assert _http("POST", f"{url}/model/parse", json.dumps({"text": "what's left on C-6001?"}).encode()) == 401
    assert _http("GET", f"{url}/status?token={RASA_TOKEN}") == 200


@pytest.mark.slow
def test_hostile_messages_through_rest_get_no_server_error_and_leak_nothing(guarded_stack):
    url, engine = guarded_stack["url"], guarded_stack["engine"]
    demo = demo_oracle(engine)
    rng = random.Random(SEED + 1)
    # Legitimate turns first, so the logs read later have a real conversation in them.
    for text in ("I've finished a CADS assessment, threshold not met for C-1042", "/case_report"
                 '{"outcome_path":"progress_to_caf","CASE_REF":"C-1042"}', "yes", "mum gave consent today", "yes",
                 f"{PARTNER} the school nurse agreed to be lead professional", "yes", "what's left on C-1042?"):
        status, replies = _rest(url, "sam.sw", text)
        assert status == 200 and replies
    sample = rng.sample(hostile_messages(demo), REST_SAMPLE - 30)
    sample += [dataclasses.replace(rng.choice(sample), text=rng.choice(PAYLOADS).format(ref=rng.choice(demo.refs)))
               for _ in range(30)]
    sample += [m for m in hostile_messages(demo) if m.kind == "long"][:3]  # 100 KB each
    problems, answered = [], 0
    for m in sample:
        claimed = demo.ids["rest"].get(m.sender) or demo.ids["rest"].get(m.sender.strip())  # REST: the id is a username
        status, replies = _rest(url, m.sender, m.text)
        if status != 200:
            problems.append(f"{m.kind} from {m.sender[:20]!r}: HTTP {status}")
            continue
        answered += bool(replies)
        for r in replies:
            reply = Reply(r.get("text") or "", [(b.get("title", ""), b.get("payload", "")) for b in r.get("buttons") or []])
            problems += [f"{m.kind} from {m.sender[:20]!r}: {p}" for p in reply_leaks(reply, claimed, demo)]
    assert problems == [], "\n".join(sorted(set(problems))[:40])
    assert answered == len(sample)  # every message got a reply


@pytest.mark.slow
def test_no_log_file_command_line_or_written_file_holds_a_token_or_a_childs_details(guarded_stack):
    url = guarded_stack["url"]
    for sender, text in (("sam.sw", "what's left on C-1042?"), ("pat.sw", "what's left on C-1042?"),
                         ("sam.sw", "why?"), ("sam.sw", "what's left on C-1043? " * 5000)):
        status, replies = _rest(url, sender, text)
        assert status == 200 and replies
    with session_scope(guarded_stack["engine"]) as s:
        details = [d for r in s.execute(select(Case)).scalars()
                   for d in (r.child_name, r.referrer_name, r.lead_professional_name) if d]
    assert len(details) >= 2 * len(CASES)
    logs = {p.name: p.read_text(errors="replace") for p in (guarded_stack["tmp"] / "logs").glob("*.log")}
    assert set(logs) == {"rasa.log", "actions.log"} and "Rasa server is up and running" in logs["rasa.log"]
    assert re.search(r"a message of 11\d{4} characters was cut to 2000", logs["rasa.log"])  # the long one above
    for name, text in logs.items():
        assert [d for d in details if d in text] == [], name
        assert RASA_TOKEN not in text and ACTIONS_TOKEN not in text, name
    for name, pid in guarded_stack["pids"].items():
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        assert cmdline and RASA_TOKEN not in cmdline and ACTIONS_TOKEN not in cmdline, name
    for path in (guarded_stack["tmp"] / "var").rglob("*"):
        if path.is_file() and path.suffix in (".yml", ".yaml", ".log", ".txt"):
            text = path.read_text(errors="replace")
            assert RASA_TOKEN not in text and ACTIONS_TOKEN not in text, path
