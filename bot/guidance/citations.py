"""Check that every quote in a pack stands, word for word, in its document.

Whitespace is folded (the documents wrap lines); nothing else is forgiven.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from bot.guidance.model import Citation, Pack


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _headings(text: str) -> set[str]:
    # A heading is a whole line; markdown documents mark theirs with '#'.
    return {_fold(line.lstrip("#").strip()) for line in text.splitlines() if line.strip()}


def citation_problems(pack: Pack, guidance_dir: Path) -> list[str]:
    """Every citation in the pack that is not found in its document, as a sentence."""
    path = Path(guidance_dir) / pack.document
    text = path.read_text(encoding="utf-8")
    folded, headings = _fold(text), _headings(text)
    problems = []

    def check(where: str, cite: Citation) -> None:
        if _fold(cite.quote) not in folded:
            problems.append(f"{pack.id}: {where}: quote not found in {pack.document}: {cite.quote!r}")
        if _fold(cite.section) not in headings:
            problems.append(f"{pack.id}: {where}: section heading not found in {pack.document}: {cite.section!r}")

    for rule in pack.rules.values():
        for cite in rule.citations:
            check(f"rule {rule.id}", cite)
        if rule.escalate:
            check(f"rule {rule.id} escalation", rule.escalate.citation)
    for pathway in pack.pathways.values():
        check(f"pathway {pathway.id}", pathway.citation)
    for move in pack.moves.values():
        check(f"move {move.id}", move.citation)
    lines = [_fold(line.lstrip("#").strip()) for line in text.splitlines()]
    at = -1
    for heading, _ in pack.sections:
        if _fold(heading) not in headings:
            problems.append(f"{pack.id}: sections: heading not found in {pack.document}: {heading!r}")
        elif _fold(heading) not in lines[at + 1 :]:
            problems.append(f"{pack.id}: sections: heading out of document order in {pack.document}: {heading!r}")
        else:
            at = lines.index(_fold(heading), at + 1)
    return problems


def all_citation_problems(packs: Iterable[Pack], guidance_dir: Path) -> list[str]:
    return [p for pack in packs for p in citation_problems(pack, guidance_dir)]
