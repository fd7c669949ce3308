"""Who may see and change a case (bot.access), and refusals that reveal nothing."""
import pytest
from conftest import CHILD_NAME, add_case

from bot import access
from bot.conversation import Conversation
from bot.db.models import Practitioner, Team
from bot.db.repositories import AuditLog, CaseRepository
from bot.db.session import session_scope


@pytest.fixture
def staff(session, people):
    other_team = Team(name="CADS West")
    extra = {
        "tm2": Practitioner(username="tm.second", display_name="Second Manager", role="team_manager", team=people["team"]),
        "tm_west": Practitioner(username="tm.west", display_name="West Manager", role="team_manager", team=other_team),
        "sw2": Practitioner(username="sw.other", display_name="Other Worker", role="social_worker", team=people["team"]),
        "ehss": Practitioner(username="eh.manager", display_name="EH Manager", role="eh_ss_manager", team=other_team),
        "admin": Practitioner(username="ad.min", display_name="Admin", role="admin"),
        "lp": Practitioner(username="lp.nurse", display_name="Lee Nurse", role="lead_professional"),
        "lp_off": Practitioner(username="lp.other", display_name="Other Nurse", role="lead_professional"),
    }
    session.add_all([other_team, *extra.values()])
    session.commit()
    return {**people, **extra}


def _file(session, reference="C-1042"):
    return CaseRepository(session).case_file(reference, viewer="test")


def test_who_may_see_a_case(session, staff):
    add_case(session, staff, lead_professional=staff["lp"], lead_professional_name="Lee Nurse")
    case = _file(session)
    allowed = {"sw", "tm", "tm2", "clw", "ehss", "admin", "lp"}
    for key, user in staff.items():
        if key == "team":
            continue
        assert access.may_see(user, case) is (key in allowed), key


def test_a_lead_professional_outside_ehbot_gives_no_one_access(session, staff):
    add_case(session, staff, lead_professional_name="Lee Nurse")
    assert not access.may_see(staff["lp"], _file(session))


def test_inactive_or_unknown_users_see_nothing(session, staff):
    add_case(session, staff)
    case = _file(session)
    assert not access.may_see(staff["gone"], case)
    assert not access.may_see(None, case)
    staff["tm"].active = False
    assert not access.may_see(staff["tm"], case)


def test_only_the_case_team_manager_signs_the_checklist(session, staff):
    add_case(session, staff, pathway="step-down-csc-to-caf")
    case = _file(session)
    assert access.may_sign_checklist(staff["tm"], case)
    assert access.may_sign_checklist(staff["ehss"], case)
    assert not access.may_sign_checklist(staff["tm2"], case)  # may see it, but it is not theirs to sign
    assert not access.may_sign_checklist(staff["sw"], case)


def test_a_refusal_reads_like_not_found_and_is_audited_without_the_name(session, staff, migrated):
    add_case(session, staff)
    chat = Conversation(lambda: session_scope(migrated))
    hidden = chat.case_status("tm.west", "c1042")
    missing = chat.case_status("tm.west", "C-9999")
    assert hidden.text == missing.text.replace("C-9999", "C-1042")
    assert "can't find a case C-1042" in hidden.text
    assert hidden.case_reference is None and hidden.pending is None
    with session_scope(migrated) as s:
        refused = [(e.actor, e.case_reference, e.detail) for e in AuditLog(s).events(action="refused")]
        every = " ".join(f"{e.detail} {e.case_reference}" for e in AuditLog(s).events())
    assert ("tm.west", "C-1042", "status: not found or not visible (typed 'c1042')") in refused
    assert ("tm.west", "C-9999", "status: not found or not visible (typed 'C-9999')") in refused
    assert CHILD_NAME not in every


def test_a_view_is_audited(session, staff, migrated):
    add_case(session, staff)
    chat = Conversation(lambda: session_scope(migrated))
    reply = chat.case_status("tm.second", "C-1042")
    assert reply.text.startswith("C-1042: CADS outcome: progress to a new CAF episode")
    assert CHILD_NAME not in reply.text
    with session_scope(migrated) as s:
        assert [(e.actor, e.detail) for e in AuditLog(s).events("C-1042", "view")] == [("tm.second", "chat: status")]


def test_an_inactive_user_is_told_nothing_about_cases(session, staff, migrated):
    add_case(session, staff)
    chat = Conversation(lambda: session_scope(migrated))
    assert "can't find a case C-1042" in chat.case_status("old.worker", "C-1042").text
    assert "don't know you" in chat.case_status(None, "C-1042").text
    assert chat.identify("rest", "old.worker") is None
    assert chat.identify("slack", "U1SW") == "sw.jones"
    assert chat.identify("botframework", "T-TM") == "tm.patel"
