"""A case's episodes in chat: closing one (proposed, then recorded on yes), reopening a
closed case after a re-referral (a new episode, the old one kept), moving it to another
pathway where the guidance moves a case, and the history of all of them."""
from __future__ import annotations

import re
from typing import Callable, Optional

from bot import access, moves
from bot.conversation import proposals, wording
from bot.conversation.cases import OpenCase, Say, open_case
from bot.conversation.reply import Reply
from bot.conversation.state import Proposal
from bot.db.episodes import EpisodeRepository
from bot.db.families import FamilyRepository
from bot.db.repositories import REASON_LENGTH, case_file
from bot.guidance import registry

# The reason follows a cue ("because", "reason:", "as") or a comma, after the request itself.
# A cue word is looked for before a comma ("Alex from 20/11, as Pat left": "Pat left").
REASONS = tuple(re.compile(pattern + r"\s*(?P<reason>[^,;]{3,})$", re.IGNORECASE) for pattern in (
    r"\b(?:because|as|since|reason(?: is| being)?|due to)\b\s*:?",
    r"(?:\b(?:because|as|since|reason(?: is| being)?|due to|following|after)\b\s*:?|[,:;\u2013\u2014]| - )"))
# A re-referral says its own reason ("re-referred by the school").
REREFERRAL = re.compile(r"\bre-?\s?referr?(?:al|ed)\b[^,.;]{0,80}", re.IGNORECASE)
# Words that only say when, not why ("close C-1043, today").
ONLY_WHEN = re.compile(r"^(?:today|yesterday|this morning|this afternoon|on \w+|last \w+|please|thanks?|thank you)\W*$",
                       re.IGNORECASE)


def reason_in(text: str) -> Optional[str]:
    """Why the case closes or reopens, in the practitioner's words, if the message says."""
    text = text.strip().rstrip(".!")
    found = next((m for m in (r.search(text) for r in REASONS) if m), None)
    if not found:
        return None
    reason = found.group("reason").strip()
    if ONLY_WHEN.match(reason):
        return None
    return reason[:REASON_LENGTH]


def propose_close(session, user: Optional[str], case_ref: Optional[str], text: str) -> Reply:
    """"C-1043 can be closed, plan met": what closing would stop, asked before it is recorded."""
    case = open_case(session, user, case_ref, text, "close")
    focus = dict(case_reference=case.reference)
    if case.file.closed_on is not None:
        raise Say(Reply(wording.closed_case(case.reference, case.file.closed_on), **focus))
    when = proposals.done_on(text, case)
    reason = reason_in(text)
    proposal = Proposal(case=case.reference, label="Case closed", rule_id=None, record="close",
                        date=when.isoformat(), by=case.user.username, reason=reason)
    still_open = [s for s in case.view.steps if s.open]
    lines = [wording.close_proposal(case.reference, case.file.episode, when, case.user.display_name),
             wording.reason_line(reason), wording.still_open_on_closing(still_open)]
    return Reply("\n".join(lines), buttons=list(wording.RECORD_OR_NOT), pending=proposal, **focus)


def propose_reopen(session, user: Optional[str], case_ref: Optional[str], text: str) -> Reply:
    """"C-1043 has been re-referred": a new episode on the same pathway, asked first."""
    case = open_case(session, user, case_ref, text, "reopen")
    focus = dict(case_reference=case.reference)
    closed_on = case.file.closed_on
    if closed_on is None:
        raise Say(Reply(wording.open_nothing_to_reopen(case.reference, case.file.episode, case.file.opened_on), **focus))
    when = proposals.done_on(text, case, since=closed_on)
    rereferral = REREFERRAL.search(text)
    reason = reason_in(text) or (rereferral.group(0).strip()[:REASON_LENGTH] if rereferral else None)
    proposal = Proposal(case=case.reference, label="Case reopened", rule_id=None, record="reopen",
                        date=when.isoformat(), by=case.user.username, reason=reason)
    title = registry().pathway(case.file.pathway).title
    lines = [wording.reopen_proposal(case.reference, case.file.episode + 1, title, when, case.user.display_name),
             wording.reason_line(reason), wording.reopen_keeps(case.reference, closed_on)]
    return Reply("\n".join(lines), buttons=list(wording.RECORD_OR_NOT), pending=proposal, **focus)


def propose_move(session, user: Optional[str], case_ref: Optional[str], text: str, towards: Optional[str],
                 asking: bool = False, otherwise: Optional[Callable[[], Reply]] = None) -> Reply:
    """"Step C-1042 up to social care" / "C-1045 can move to early help": the guidance's move from
    the case's pathway that way, what it waits for, and (not asking) the move proposed. Where the
    pathway gives no move that way, ``otherwise`` (the step the words name) answers, if given."""
    case = open_case(session, user, case_ref, text, "move")
    focus = dict(case_reference=case.reference)
    if case.file.closed_on is not None:
        raise Say(Reply(wording.closed_case(case.reference, case.file.closed_on), **focus))
    reg = registry()
    here = reg.pathway(case.file.pathway).title
    offered = reg.moves_from(case.file.pathway)
    chosen = [m for m in offered if towards is None or m.towards == towards]
    if not chosen and otherwise is not None:
        return otherwise()
    if not chosen:
        raise Say(Reply(wording.no_such_move(case.reference, here, towards, offered), **focus))
    move = chosen[0]
    to = reg.pathway(move.to).title
    if moves.waits(case.file, move):
        if otherwise is not None:  # the step the words name comes first ("referral to EHM done, over to EH")
            return otherwise()
        rule = reg.rule(move.after)
        raise Say(Reply(wording.move_waits(case.reference, to, rule.title, rule.citation), rule_id=rule.id, **focus))
    when = moves.opens_on(case.file, move, proposals.done_on(text, case))
    if asking:
        return Reply(wording.move_open(case.reference, to, when, move.citation), **focus)
    proposal = Proposal(case=case.reference, label=f"Moved to {to}", rule_id=None, record="move",
                        date=when.isoformat(), by=case.user.username, pathway=move.to, reason=reason_in(text),
                        move=move.id)
    starts = reg.rule(move.starts).title if move.starts else None
    lines = [wording.move_proposal(case.reference, case.file.episode + 1, to, when, case.user.display_name,
                                   move.citation),
             wording.move_keeps(case.reference, here, starts, case.file.lead_professional is not None)]
    return Reply("\n".join(lines), buttons=list(wording.RECORD_OR_NOT), pending=proposal, **focus)


def recorded(case: OpenCase, after: OpenCase, proposal: Proposal, when) -> str:
    """What confirming a close or reopen says."""
    who = case.user.display_name
    if proposal.record == "close":
        return wording.closed_line(case.reference, when, who)
    if proposal.record == "move":
        title = registry().pathway(after.file.pathway).title
        return f"{wording.moved_line(case.reference, title, after.file.episode, when, who)}\n{wording.next_line(after.view)}"
    return f"{wording.reopened_line(case.reference, after.file.episode, when, who)}\n{wording.next_line(after.view)}"


def history(session, user: Optional[str], case_ref: Optional[str], text: str = "", everything: bool = False) -> Reply:
    """"History of C-1043": each episode, its dates, why it closed or reopened, what was recorded."""
    case = open_case(session, user, case_ref, text, "history")
    episodes = EpisodeRepository(session).episodes(case.reference, viewer=case.user.username)
    family = [row.reference for row in FamilyRepository(session).siblings(case.reference)
              if access.may_see(case.user, case_file(row))]  # a sibling they may not see is not named
    lines = wording.history(case.reference, episodes, registry(), everything=everything, family=family)
    return Reply("\n".join(lines), case_reference=case.reference)


def status_if_closed(case: OpenCase) -> Optional[Reply]:
    """A closed case's status: closed, and how to reopen it (nothing on it is owed)."""
    if case.file.closed_on is None:
        return None
    return Reply(wording.closed_case(case.reference, case.file.closed_on), case_reference=case.reference)
