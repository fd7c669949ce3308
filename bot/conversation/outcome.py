"""Reporting a CADS outcome: "I've finished a CADS assessment, threshold not met for C-1042".

The case's recorded pathway is the outcome path unless the message names another, which
is then proposed as a move; the bot asks only when neither says.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

from bot.conversation import proposals, wording
from bot.conversation.cases import OpenCase, Say, open_case
from bot.conversation.concepts import Candidate, concepts
from bot.conversation.reply import Reply
from bot.conversation.state import Proposal, Question
from bot.db.repositories import PractitionerRepository
from bot.guidance import registry
from bot.language.reading import read
from bot.pathways import DONE, evaluate

OUTCOME_RULE = "cads.assessment-outcome"


def paths() -> dict[str, str]:
    """Outcome path -> pathway id, as the packs name them (``outcome_path:`` on a pathway)."""
    return {p.outcome_path: p.id for p in registry().pathways.values() if p.outcome_path}


def path_buttons() -> list[tuple[str, str]]:
    reg = registry()
    return [(reg.pathway(pathway).path_title or reg.pathway(pathway).title,
             wording.payload("case_report", outcome_path=path)) for path, pathway in paths().items()]


def _names(session) -> dict:
    return {u: p.display_name for u, p in PractitionerRepository(session).all_by_username().items()}


def report(session, user: Optional[str], text: str, case_ref: Optional[str], path: Optional[str]) -> Reply:
    case = open_case(session, user, case_ref, text, "report_outcome")
    path = path or read(text).path
    outcome_paths = paths()
    if case.file.pathway not in outcome_paths.values():
        raise Say(Reply(wording.not_a_cads_case(case.reference, case.view.pathway_title, case.view),
                        case_reference=case.reference))
    pathway_id = outcome_paths.get(path) if path else case.file.pathway
    if pathway_id is None:
        return Reply(wording.which_outcome_path(case.reference), buttons=path_buttons(),
                     case_reference=case.reference, asking=Question("outcome_path", case=case.reference, words=text))
    moved = dataclasses.replace(case.file, pathway=pathway_id)
    on_path = OpenCase(case.user, case.row, moved, evaluate(moved))
    outcome = on_path.view.step(OUTCOME_RULE)
    if outcome.state == DONE:
        lines = [wording.outcome_already_recorded(case.reference, outcome)]
        pending = None
        if pathway_id != case.file.pathway:
            lines.append(wording.move_case(on_path.view.pathway_title))
            pending = Proposal(case=case.reference, label="Outcome path changed", rule_id=None, record="none",
                               date=on_path.view.today.isoformat(), by=case.user.username, pathway=pathway_id)
        lines += wording.checks(on_path.view, _names(session))
        return Reply("\n".join(lines), buttons=list(wording.YES_NO) if pending else [], pending=pending,
                     case_reference=case.reference, rule_id=outcome.rule_id)
    label = concepts()["assessment_outcome"].label
    reply, after = proposals.proposal_reply(on_path, label, Candidate(rule=OUTCOME_RULE), outcome, text,
                                            pathway=pathway_id, before=on_path.view)
    if reply.pending.pathway:
        reply.text += "\n" + wording.path_differs(case.view.pathway_title)
    else:
        reply.text += f"\nPath: {case.view.pathway_title}"
    reply.text += "\n" + "\n".join(wording.checks(after, _names(session)))
    return reply
