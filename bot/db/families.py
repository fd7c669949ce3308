"""Siblings' cases linked as one family, so that a step done for the whole family (a
Family Planning Meeting, a parent's consent) can be recorded on each after one
confirmation. A family is a key shared by its cases ("F" and a number), never a name.
Like the other repositories, this flushes but never commits.
"""
from __future__ import annotations

from typing import Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Case
from bot.db.repositories import CASE_FILE_LOADS, CaseRepository, RecordRejected, audit_event


class FamilyRepository:
    def __init__(self, session: Session):
        self.session = session
        self.cases = CaseRepository(session)

    def link(self, references: Iterable[str], by_username: Optional[str]) -> list[str]:
        """Link cases as one family (joining any family they are already in); the family's
        references, in order. Linking cases already linked changes nothing."""
        wanted = [self.cases.find(r) for r in dict.fromkeys(references)]
        try:
            self.cases.practitioners.recorder(by_username)
            if len({c.id for c in wanted}) < 2:
                raise RecordRejected("name two or more cases to link as a family", "too_few")
        except RecordRejected as exc:
            exc.audit = audit_event(by_username, "refused", wanted[0].reference if wanted else None,
                                    f"link_family: {exc.code}")
            raise
        keys = sorted({c.family for c in wanted if c.family})
        members = {c.id: c for c in wanted}
        for key in keys:
            members.update((c.id, c) for c in self._members(key))
        key = keys[0] if keys else f"F{min(members)}"
        changed = [c for c in members.values() if c.family != key]
        for case in changed:
            case.family = key
        self.session.flush()
        if changed:
            self.cases.audit.record(by_username, "link_family", None,
                                    f"{key}: {', '.join(sorted(c.reference for c in members.values()))}")
        return sorted(c.reference for c in members.values())

    def unlink(self, reference: str, by_username: Optional[str]) -> None:
        """Take a case out of its family (the others stay linked)."""
        case = self.cases.find(reference)
        self.cases.practitioners.recorder(by_username)
        if case.family is None:
            return
        key, case.family = case.family, None
        self.session.flush()
        self.cases.audit.record(by_username, "unlink_family", case.reference, key)
        rest = self._members(key)
        if len(rest) == 1:  # one case alone is no family
            rest[0].family = None
            self.session.flush()

    def siblings(self, reference: str) -> list[Case]:
        """The other cases of the case's family, by reference, loaded as the chat reads them."""
        case = self.cases.find(reference)
        if case.family is None:
            return []
        return [c for c in self._members(case.family, *CASE_FILE_LOADS) if c.id != case.id]

    def _members(self, key: str, *options) -> list[Case]:
        query = select(Case).where(Case.family == key).order_by(Case.reference).options(*options)
        return list(self.session.execute(query).unique().scalars())
