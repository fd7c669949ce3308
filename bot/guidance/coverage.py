"""Which rules encode each section of each guidance document, as markdown (``ehbot packs coverage``)."""
from __future__ import annotations

from typing import Iterable, Mapping, Union

from bot.guidance.model import Pack


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def section_rules(pack: Pack) -> dict[str, list[str]]:
    """Each listed section -> the ids of the rules whose citation or also_cites uses it, in pack
    order, then of the moves (between pathways) that cite it."""
    found: dict[str, list[str]] = {heading: [] for heading, _ in pack.sections}
    for rule in pack.rules.values():
        for section in dict.fromkeys(" ".join(c.section.split()) for c in rule.citations):
            found.setdefault(section, []).append(rule.id)
    for move in pack.moves.values():
        found.setdefault(" ".join(move.citation.section.split()), []).append(f"{move.id} (move)")
    return found


def coverage_markdown(packs: Union[Mapping[str, Pack], Iterable[Pack]]) -> str:
    packs = packs.values() if isinstance(packs, Mapping) else packs
    out: list[str] = []
    for pack in packs:
        rules = section_rules(pack)
        why = dict(pack.sections)
        encoded = sum(1 for heading, _ in pack.sections if rules[heading])
        not_encoded = sum(1 for reason in why.values() if reason)
        gaps = len(pack.sections) - encoded - not_encoded
        out += [f"### {pack.title} (`{pack.document}`)", ""]
        dates = [f"dated {pack.dated.isoformat()}" if pack.dated else "",
                 f"review date {pack.review_by.isoformat()}" if pack.review_by else ""]
        dated = "; ".join(d for d in dates if d).capitalize() or "No date or review date recorded in its pack"
        out += [
            f"{len(pack.sections)} sections: {encoded} encoded by {len(pack.rules)} rules, "
            f"{not_encoded} not encoded, {gaps} with no rule (gaps). {dated}.",
            "",
            "| section | rules |",
            "|---|---|",
        ]
        for heading, reason in pack.sections:
            cell = ", ".join(rules[heading]) if rules[heading] else f"not encoded: {reason}" if reason else "**gap: no rule**"
            out.append(f"| {_cell(heading)} | {_cell(cell)} |")
        out.append("")
    return "\n".join(out)
