"""Shared fixtures: a fixed clock, a guidance registry of known packs, and databases.

``db_url`` runs each database test on SQLite (a temporary file) and on PostgreSQL.
PostgreSQL is found at EHBOT_TEST_POSTGRES_URL, else postgresql://postgres@ or
root@127.0.0.1:5432/test; each test gets a fresh schema (dropped afterwards), so
parallel runs and leftovers never collide. With no server the PostgreSQL runs skip.
``redis_url`` finds Redis the same way (EHBOT_TEST_REDIS_URL, else 127.0.0.1:6379/0).
"""
from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot import guidance
from bot.db.migrate import upgrade
from bot.db.models import Case, Practitioner, Team
from bot.db.session import make_engine, session_factory
from bot.guidance.loader import PACKS_DIR, load_pack

TODAY = "2026-11-23"
CHILD_NAME = "Ellie-Mae Quinnborough"
PG_CANDIDATES = ("postgresql://postgres@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test")

# A second, tiny pack, so "a rule from another pack" never depends on packs others are writing.
OTHER_PACK = """
pack: test-other
version: 1
document: {file: test-other.txt, title: A test pack}
roles: {social_worker: Social Worker}
pathways:
  - id: test-other-pathway
    title: Test pathway
    summary: for tests
    citation: {section: S, quote: Q}
    steps: [other.visit]
rules:
  - id: other.visit
    title: Visit
    kind: step
    owner: social_worker
    citation: {section: S, quote: Q}
"""


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """Today is 2026-11-23 unless a test sets EHBOT_TODAY itself."""
    monkeypatch.setenv("EHBOT_TODAY", TODAY)


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("EHBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EHBOT_DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def test_registry(tmp_path_factory):
    other = tmp_path_factory.mktemp("packs") / "test-other.yaml"
    other.write_text(OTHER_PACK, encoding="utf-8")
    packs = [load_pack(PACKS_DIR / "cads-outcome-to-caf.yaml"), load_pack(other)]
    return guidance.Registry({p.id: p for p in packs})


@pytest.fixture
def known_packs(monkeypatch, test_registry):
    """guidance.registry() holds just the CADS pack and the test pack (not autouse:
    the pathway tests want every pack)."""
    monkeypatch.setattr(guidance, "registry", lambda: test_registry)


@pytest.fixture(scope="session")
def postgres_base_url():
    override = os.environ.get("EHBOT_TEST_POSTGRES_URL", "").strip()
    tried = []
    for url in [override] if override else PG_CANDIDATES:
        engine = create_engine(url, future=True, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            return url
        except OperationalError as exc:
            tried.append(f"{make_url(url).render_as_string(hide_password=True)}: {str(exc.orig).strip().splitlines()[0]}")
        finally:
            engine.dispose()
    pytest.skip("no PostgreSQL server answered (set EHBOT_TEST_POSTGRES_URL); tried " + "; ".join(tried))


@pytest.fixture(scope="session")
def redis_url():
    """Redis at EHBOT_TEST_REDIS_URL, else redis://127.0.0.1:6379/0; skips when none answers."""
    import redis

    url = os.environ.get("EHBOT_TEST_REDIS_URL", "").strip() or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answered at {url} (set EHBOT_TEST_REDIS_URL): {exc}")
    return url


def _in_schema(url: str, schema: str) -> str:
    with_path = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return with_path.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'ehbot-test.sqlite3'}"
        return
    base = request.getfixturevalue("postgres_base_url")
    schema = f"ehbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _in_schema(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def migrated(db_url, engine):
    upgrade(db_url)
    return engine


@pytest.fixture
def session(migrated):
    session = session_factory(migrated)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def people(session):
    """A team and its practitioners, committed."""
    team = Team(name="CADS East")
    staff = {
        "sw": Practitioner(username="sw.jones", display_name="Sam Jones", role="social_worker", team=team, slack_user_id="U1SW"),
        "tm": Practitioner(username="tm.patel", display_name="Tara Patel", role="team_manager", team=team, teams_user_id="T-TM"),
        "clw": Practitioner(username="clw.ng", display_name="Chris Ng", role="caf_link_worker", team=team),
        "gone": Practitioner(username="old.worker", display_name="Old Worker", role="social_worker", team=team, active=False),
    }
    session.add_all([team, *staff.values()])
    session.commit()
    return {"team": team, **staff}


def add_case(session, people, reference="C-1042", pathway="cads-progress-to-caf", opened_on=dt.date(2026, 11, 2), **extra):
    case = Case(
        reference=reference,
        pathway=pathway,
        team=people["team"],
        child_name=CHILD_NAME,
        opened_on=opened_on,
        allocated_worker=people["sw"],
        team_manager=people["tm"],
        caf_link_worker=people["clw"],
        referrer_name="Robin Referrer",
        referrer_agency="Oakfield Primary",
        **extra,
    )
    session.add(case)
    session.commit()
    return case


def turn(chat, text, state=None, user="sam.sw"):
    """One chat message, and the state the front end would keep after it."""
    from bot.conversation import State

    state = state or State()
    reply = chat.respond(user, text, state)
    kept = {"case_ref": state.case_ref, "focus_rule": state.focus_rule,
            "pending": state.pending.as_slot() if state.pending else None, "asking": None}
    kept.update(reply.slots())
    return reply, State.from_slots(kept)


@pytest.fixture
def case(session, people):
    return add_case(session, people)


@pytest.fixture
def demo_chat(migrated):
    """The conversation's core over the demo data (bot/demo.py), on this test's database."""
    from bot.conversation import Conversation
    from bot.db.session import session_scope
    from bot.demo import load_demo

    with session_scope(migrated) as s:
        load_demo(s)
    return Conversation(lambda: session_scope(migrated))


@pytest.fixture
def written(migrated):
    """How many steps, consents and bookings are recorded now (to check a turn wrote none)."""
    from bot.db.repositories import records_count
    from bot.db.session import session_scope

    def count() -> int:
        with session_scope(migrated) as s:
            return records_count(s)

    return count
