"""Finding the case a message is about, for someone allowed to see it.

Every look is audited: a view when shown, a refusal when not (with the
reference as typed, never a name). Not found and not allowed read the same.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from sqlalchemy.orm import Session

from bot import access
from bot.casefile import CaseFile
from bot.conversation import phrases
from bot.conversation.reply import Reply
from bot.db.models import Case, Practitioner
from bot.db.repositories import (
    CASE_FILE_LOADS,
    AuditLog,
    CaseNotFound,
    CaseRepository,
    PractitionerRepository,
    case_file,
    normalise_reference,
)
from bot.pathways import PathwayView, UnknownPathway, evaluate

log = logging.getLogger(__name__)

UNKNOWN_USER = (
    "I don't know you as an active practitioner in ehbot, so I can't show or change any case. "
    "You can still ask me about the guidance."
)
ASK_REFERENCE = "Which case is this about? Give me its reference, like C-1042."


class Say(Exception):
    """Stop here and say this (a question back, or a refusal)."""

    def __init__(self, reply: Reply):
        super().__init__(reply.text)
        self.reply = reply


@dataclass
class OpenCase:
    user: Practitioner
    row: Case
    file: CaseFile
    view: PathwayView

    @property
    def reference(self) -> str:
        return self.file.reference


def user_of(session: Session, username: Optional[str]) -> Practitioner:
    user = PractitionerRepository(session).by_username(username)
    if not access.active(user):
        raise Say(Reply(UNKNOWN_USER))
    return user


def refuse(session: Session, username: Optional[str], reference: Optional[str], typed: str, action: str) -> Reply:
    # The typed reference has already matched the reference pattern: letters and digits, no name.
    AuditLog(session).record(username, "refused", reference, f"{action}: not found or not visible (typed {typed[:20]!r})")
    log.info("refused %s on %s", action, reference)
    return Reply(access.NOT_VISIBLE.format(reference=reference))


def open_case(session: Session, username: Optional[str], case_ref: Optional[str], text: str = "", action: str = "view") -> OpenCase:
    typed = (case_ref or "").strip() or phrases.case_reference(text)
    if not username:
        if typed and normalise_reference(typed):
            refuse(session, None, normalise_reference(typed), typed, action)
        raise Say(Reply(UNKNOWN_USER))
    user = PractitionerRepository(session).by_username(username)
    if not typed:
        if not access.active(user):
            raise Say(Reply(UNKNOWN_USER))
        raise Say(Reply(ASK_REFERENCE))
    reference = normalise_reference(typed)
    if reference is None:
        raise Say(Reply("That doesn't look like a case reference (they look like C-1042). Which case is it?"))
    try:
        row = CaseRepository(session).find(reference, *CASE_FILE_LOADS)
    except CaseNotFound:
        row = None
    file = case_file(row) if row is not None else None
    if file is None or not access.may_see(user, file):
        raise Say(refuse(session, username, reference, typed, action))
    AuditLog(session).record(username, "view", reference, f"chat: {action}")
    try:
        view = evaluate(file)
    except UnknownPathway:
        raise Say(Reply(f"{reference} is on a pathway whose guidance is not enabled here, so I can't walk it.")) from None
    return OpenCase(user, row, file, view)
