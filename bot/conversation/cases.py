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
from bot.conversation import wording
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
from bot.references import find_reference

log = logging.getLogger(__name__)

UNKNOWN_USER = wording.UNKNOWN_USER


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
    typed = (case_ref or "").strip() or find_reference(text)
    if not username:
        if typed and normalise_reference(typed):
            refuse(session, None, normalise_reference(typed), typed, action)
        raise Say(Reply(UNKNOWN_USER))
    user = PractitionerRepository(session).by_username(username)
    if not typed:
        if not access.active(user):
            raise Say(Reply(UNKNOWN_USER))
        raise Say(Reply(wording.ASK_REFERENCE))
    reference = normalise_reference(typed)
    if reference is None:
        raise Say(Reply(wording.NOT_A_REFERENCE))
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
