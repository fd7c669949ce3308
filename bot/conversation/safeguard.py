"""A message that discloses harm to a child gets one safe reply, before anything else.

Nothing of the message is recorded, logged or kept: the audit log says only that the
safe reply was given (who, when, the case in focus), and the reply is marked so that
the front end keeps no copy of the words. A proposal waiting for "yes" keeps waiting.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Optional

from bot import config
from bot.conversation import wording
from bot.conversation.reply import Reply
from bot.db.repositories import AuditLog
from bot.guidance import registry

log = logging.getLogger(__name__)
AUDIT_ACTION = "safeguarding_reply"


def text(kept_proposal: bool) -> str:
    contacts = [wording.safeguarding_contact(label, value) for label, value in config.safeguarding_contacts()]
    cited = [c for r in registry().rules.values() if r.part_of == "safeguarding" for c in reversed(r.citations)]
    return wording.safeguarding(contacts, cited, kept_proposal)


def reply(kept_proposal: bool) -> Reply:
    return Reply(text(kept_proposal), unchanged=True, withheld=True)


def with_a_reminder(answer: Reply) -> Reply:
    """The usual answer to a message that may tell of harm, after a line on acting on it.
    Its words are kept nowhere: not in the tracker store, nor in a question that would
    finish the request ("which case?"), which is dropped."""
    asking = None if answer.asking is not None and answer.asking.words else answer.asking
    return replace(answer, text=f"{wording.IF_THIS_IS_HARM}\n{answer.text}", withheld=True, asking=asking)


def record(session, user: Optional[str], case_in_focus: Optional[str]) -> None:
    """The audit row: that the reply was given, never what was said."""
    AuditLog(session).record(user, AUDIT_ACTION, case_in_focus, "the safeguarding reply was given")
    log.info("safeguarding reply given")
