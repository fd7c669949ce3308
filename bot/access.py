"""Who may see and change a case: decided here, and only here.

An active practitioner may see and change a case when they are:

- the case's allocated worker;
- the case's team manager;
- a team manager (role ``team_manager``) of the case's team;
- the case's CAF Link Worker;
- the case's lead professional, when the lead professional is linked to a
  practitioner in ehbot (a partner outside ehbot has no account);
- an Early Help & Specialist Support Manager (role ``eh_ss_manager``) or an
  ``admin``: every case.

Inactive or unknown users see nothing. A refusal reads exactly like "no such
case", so nobody learns whether a reference exists.

The team manager's pre-closure checklist on a step-down is narrower: only the
case's own team manager, an ``eh_ss_manager`` or an ``admin`` records it.
"""
from __future__ import annotations

from typing import Optional

from bot.casefile import CaseFile, Person
from bot.db.models import Practitioner

SEE_EVERY_CASE = ("eh_ss_manager", "admin")

# One wording for "not found" and "not yours", so a refusal reveals nothing.
NOT_VISIBLE = "I can't find a case {reference} that you can see. Check the reference (they look like C-1042)."


def _is(person: Optional[Person], user: Practitioner) -> bool:
    return person is not None and person.username == user.username


def active(user: Optional[Practitioner]) -> bool:
    return user is not None and bool(user.active)


def may_see(user: Optional[Practitioner], case: CaseFile) -> bool:
    """May this practitioner see (and so change) this case?"""
    if not active(user):
        return False
    if user.role in SEE_EVERY_CASE:
        return True
    if any(_is(p, user) for p in (case.allocated_worker, case.team_manager, case.caf_link_worker, case.lead_professional)):
        return True
    return user.role == "team_manager" and user.team is not None and user.team.name == case.team


def is_involved(user: Optional[Practitioner], case: CaseFile) -> bool:
    """Named on the case itself (not just allowed by role or team): "my cases"."""
    if not active(user):
        return False
    return any(_is(p, user) for p in (case.allocated_worker, case.team_manager, case.caf_link_worker, case.lead_professional))


def may_sign_checklist(user: Optional[Practitioner], case: CaseFile) -> bool:
    """The step-down pre-closure checklist is the case's team manager's to sign."""
    if not active(user):
        return False
    return user.role in SEE_EVERY_CASE or _is(case.team_manager, user)


def leads_team(user: Optional[Practitioner]) -> bool:
    """May ask "what's overdue in my team?"."""
    return active(user) and user.role == "team_manager" and user.team is not None
