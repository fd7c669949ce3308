"""The demo data set: fictional teams, practitioners and cases on every pathway.

Every child's name says it is fictional. Dates are set relative to the clock, so
the demo shows steps done, due, overdue and blocked whenever it is loaded.
"""
from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from bot import clock
from bot.db.families import FamilyRepository
from bot.db.repositories import CaseNotFound, CaseRepository
from bot.importer import import_cases, import_practitioners

PRACTITIONERS = [
    # username, display name, role, team, slack id, teams id
    ("sam.sw", "Sam Social (demo)", "social_worker", "Demo North Team", "UDEMO0SAM", "demo-teams-sam"),
    ("tess.tm", "Tess Manager (demo)", "team_manager", "Demo North Team", "UDEMO0TESS", "demo-teams-tess"),
    ("cleo.clw", "Cleo Link (demo)", "caf_link_worker", "Demo North Team", "UDEMO0CLEO", ""),
    ("erin.ehw", "Erin Early (demo)", "early_help_worker", "Demo North Team", "UDEMO0ERIN", ""),
    ("fran.fdo", "Fran Door (demo)", "front_door_officer", "Demo North Team", "UDEMO0FRAN", ""),
    ("pat.sw", "Pat Worker (demo)", "social_worker", "Demo South Team", "UDEMO0PAT", ""),
    ("tom.tm", "Tom Lead (demo)", "team_manager", "Demo South Team", "UDEMO0TOM", ""),
]

# reference, pathway, team, child's name (fictional), opened (days ago), worker, manager, CLW, advice-only
CASES = [
    ("C-1042", "cads-progress-to-caf", "Demo North Team", "Fictional Child Alpha", 35, "sam.sw", "tess.tm", "cleo.clw", "no"),
    ("C-1043", "cads-progress-to-caf", "Demo North Team", "Fictional Child Bravo", 40, "sam.sw", "tess.tm", "cleo.clw", "no"),
    ("C-1044", "cads-link-existing-caf", "Demo North Team", "Fictional Child Charlie", 320, "sam.sw", "tess.tm", "", "no"),
    ("C-1045", "cads-signpost-early-help", "Demo North Team", "Fictional Child Delta", 20, "sam.sw", "tess.tm", "", ""),
    ("C-2001", "step-down-csc-to-caf", "Demo North Team", "Fictional Child Echo", 200, "sam.sw", "tess.tm", "cleo.clw", ""),
    ("C-2002", "step-down-csc-to-caf", "Demo North Team", "Fictional Child Foxtrot", 300, "sam.sw", "tess.tm", "cleo.clw", ""),
    ("C-3001", "front-door-contact", "Demo North Team", "Fictional Child Golf", 3, "fran.fdo", "tess.tm", "", ""),
    ("C-3002", "front-door-transfer-to-early-help", "Demo North Team", "Fictional Child Hotel", 120, "sam.sw", "tess.tm", "", ""),
    ("C-4001", "early-help-allocation", "Demo North Team", "Fictional Child India", 8, "erin.ehw", "tess.tm", "", ""),
    ("C-4002", "early-help-allocation", "Demo North Team", "Fictional Child Juliet", 2, "erin.ehw", "tess.tm", "", ""),
    ("C-5001", "caf-support-panel", "Demo North Team", "Fictional Child Kilo", 90, "erin.ehw", "tess.tm", "cleo.clw", ""),
    ("C-6001", "cads-progress-to-caf", "Demo South Team", "Fictional Child Lima", 15, "pat.sw", "tom.tm", "", "no"),
    ("C-1046", "cads-progress-to-caf", "Demo North Team", "Fictional Child Mike", 25, "sam.sw", "tess.tm", "cleo.clw", "no"),
    ("C-1047", "cads-progress-to-caf", "Demo North Team", "Fictional Child November", 30, "sam.sw", "tess.tm", "cleo.clw", "no"),
    ("C-1048", "cads-progress-to-caf", "Demo North Team", "Fictional Child Oscar", 18, "sam.sw", "tess.tm", "cleo.clw", "no"),
    ("C-2003", "step-down-csc-to-caf", "Demo North Team", "Fictional Child Papa", 150, "sam.sw", "tess.tm", "cleo.clw", ""),
    ("C-2004", "step-down-csc-to-caf", "Demo North Team", "Fictional Child Quebec", 180, "sam.sw", "tess.tm", "cleo.clw", ""),
]

# reference, rule id, days ago, outcome, by
STEPS = [
    # C-1043: lead professional not found; the initial FPM is overdue and blocked.
    ("C-1043", "cads.assessment-outcome", 30, None, "sam.sw"),
    ("C-1043", "cads.recommendation-to-team-manager", 30, None, "sam.sw"),
    ("C-1043", "cads.team-manager-oversight", 29, None, "tess.tm"),
    ("C-1043", "cads.update-referrer", 28, None, "sam.sw"),
    ("C-1043", "cads.alert-caf-link-worker", 28, None, "sam.sw"),
    ("C-1043", "cads.caf-link-worker-follow-up", 27, None, "cleo.clw"),
    ("C-1043", "cads.lead-professional-agreed", 27, "none_found", "sam.sw"),
    # C-1044: existing CAF continues; a Family Planning Meeting review is due.
    ("C-1044", "cads.existing-caf-start", 298, None, "sam.sw"),
    ("C-1044", "cads.existing-caf-latest-family-planning-meeting", 74, None, "sam.sw"),
    ("C-1044", "cads.assessment-outcome", 60, None, "sam.sw"),
    ("C-1044", "cads.recommendation-to-team-manager", 60, None, "sam.sw"),
    ("C-1044", "cads.team-manager-oversight", 59, None, "tess.tm"),
    ("C-1044", "cads.update-referrer", 58, None, "sam.sw"),
    ("C-1044", "cads.family-plan-review", 45, None, "sam.sw"),
    # C-1045: waiting for the team manager's sign-off.
    ("C-1045", "cads.assessment-outcome", 2, None, "sam.sw"),
    ("C-1045", "cads.recommendation-to-team-manager", 1, None, "sam.sw"),
    # C-2001: a parent disagrees with the step-down; resolution overdue.
    ("C-2001", "stepdown.team-manager-agrees-step-down", 20, None, "sam.sw"),
    ("C-2001", "stepdown.share-proposal", 14, None, "sam.sw"),
    ("C-2001", "stepdown.parent-child-disagreement", 12, None, "sam.sw"),
    # C-2002: final CIN meeting held; the team manager's checklist is part done.
    ("C-2002", "stepdown.team-manager-agrees-step-down", 40, None, "sam.sw"),
    ("C-2002", "stepdown.share-proposal", 30, None, "sam.sw"),
    ("C-2002", "stepdown.lead-professional-agreed", 25, "agreed", "sam.sw"),
    ("C-2002", "stepdown.final-cin-meeting", 10, None, "sam.sw"),
    ("C-2002", "stepdown.checklist-supervisions", 5, None, "tess.tm"),
    ("C-2002", "stepdown.checklist-chronology", 5, None, "tess.tm"),
    # C-3002: transfer from a child in need plan to early help.
    ("C-3002", "frontdoor.transfer-from", 5, "child_in_need_plan", "sam.sw"),
    # C-4001: allocated; no telephone contact yet: overdue and escalated.
    ("C-4001", "earlyhelp.allocation", 8, "other", "tess.tm"),
    ("C-4001", "earlyhelp.managers-decision", 7, "caf_required", "tess.tm"),
    # C-4002: allocated two days ago; the manager's decision is not recorded.
    ("C-4002", "earlyhelp.allocation", 2, "other", "tess.tm"),
    # C-5001: a stuck CAF taken towards the CAF Support Panel.
    ("C-5001", "cafpanel.reason-to-bring", 6, "no_lead_professional", "erin.ehw"),
    # C-1046: signed off and consent given; no lead professional yet.
    ("C-1046", "cads.assessment-outcome", 9, None, "sam.sw"),
    ("C-1046", "cads.recommendation-to-team-manager", 9, None, "sam.sw"),
    ("C-1046", "cads.team-manager-oversight", 8, None, "tess.tm"),
    ("C-1046", "cads.update-referrer", 7, None, "sam.sw"),
    ("C-1046", "cads.alert-caf-link-worker", 7, None, "sam.sw"),
    # C-1047: a lead professional named; the initial FPM is not booked yet.
    ("C-1047", "cads.assessment-outcome", 12, None, "sam.sw"),
    ("C-1047", "cads.recommendation-to-team-manager", 12, None, "sam.sw"),
    ("C-1047", "cads.team-manager-oversight", 11, None, "tess.tm"),
    ("C-1047", "cads.update-referrer", 10, None, "sam.sw"),
    ("C-1047", "cads.alert-caf-link-worker", 10, None, "sam.sw"),
    ("C-1047", "cads.caf-link-worker-follow-up", 9, None, "cleo.clw"),
    ("C-1047", "cads.lead-professional-agreed", 8, "agreed", "sam.sw"),
    # C-1048: consent and a lead professional, but the team manager has not signed off.
    ("C-1048", "cads.assessment-outcome", 3, None, "sam.sw"),
    ("C-1048", "cads.recommendation-to-team-manager", 2, None, "sam.sw"),
    # C-2004: a step down with consent; no lead professional agreed, no final CIN meeting.
    ("C-2004", "stepdown.team-manager-agrees-step-down", 15, None, "sam.sw"),
    ("C-2004", "stepdown.share-proposal", 10, None, "sam.sw"),
]

# reference, kind, status, days ago, given by, basis
CONSENTS = [
    ("C-1043", "engage", "given", 29, "parent (demo)", None),
    ("C-2002", "engage", "given", 30, "parent (demo)", None),
    ("C-3001", "engage", "advice_only", 1, None, None),
    ("C-1046", "engage", "given", 7, "parent (demo)", None),
    ("C-1047", "engage", "given", 10, "parent (demo)", None),
    ("C-1048", "engage", "given", 2, "parent (demo)", None),
    ("C-2004", "engage", "given", 9, "parent (demo)", None),
]

LEAD_PROFESSIONALS = [
    # reference, name, role, agency
    ("C-2002", "Lee Nurse (demo)", "school nurse", "Demo Primary School"),
    ("C-1044", "Robin Visitor (demo)", "health visitor", "Demo Health Centre"),
    ("C-1047", "Jamie Teacher (demo)", "designated safeguarding lead", "Demo Primary School"),
    ("C-1048", "Alex Nurse (demo)", "school nurse", "Demo Primary School"),
]


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _already_loaded(session: Session) -> bool:
    try:
        CaseRepository(session).find(CASES[0][0])
        return True
    except CaseNotFound:
        return False


# Siblings' cases, linked as one family: a Family Planning Meeting or a parent's consent
# recorded on one is offered for the others.
FAMILIES = (("C-1047", "C-1048"),)


def load_demo(session: Session) -> str:
    if _already_loaded(session):
        return "demo data already loaded: nothing changed"
    today = clock.today()
    ago = lambda days: (today - dt.timedelta(days=days)).isoformat()  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        people = _write_csv(
            Path(tmp) / "practitioners.csv",
            ["username", "display_name", "role", "team", "slack_user_id", "teams_user_id"],
            [list(p) for p in PRACTITIONERS],
        )
        import_practitioners(session, people, actor="demo")
        cases = _write_csv(
            Path(tmp) / "cases.csv",
            ["reference", "pathway", "team", "child_name", "opened_on", "allocated_worker", "team_manager",
             "caf_link_worker", "referrer_advice_only", "referrer_name", "referrer_agency"],
            [[ref, pw, team, child, ago(opened), w, m, clw, advice, "Demo Referrer", "Demo Primary School"]
             for ref, pw, team, child, opened, w, m, clw, advice in CASES],
        )
        import_cases(session, cases, actor="demo")
    repo = CaseRepository(session)
    for ref, rule_id, days, outcome, by in STEPS:
        repo.record_step(ref, rule_id, ago(days), by, outcome=outcome, source="demo")
    for ref, kind, status, days, given_by, basis in CONSENTS:
        repo.record_consent(ref, kind, status, ago(days), "sam.sw", given_by=given_by, basis=basis)
    for ref, name, role, agency in LEAD_PROFESSIONALS:
        repo.set_lead_professional(ref, name, role=role, agency=agency, by_username="sam.sw")
    for siblings in FAMILIES:
        FamilyRepository(session).link(siblings, "sam.sw")
    return f"demo data loaded: {len(PRACTITIONERS)} practitioners, {len(CASES)} cases, {len(STEPS)} steps (all fictional)"
