"""Guidance packs: the rules, as data, each citing its document."""
from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Optional

from bot import config
from bot.guidance.loader import PackError, load_packs
from bot.guidance.model import Citation, Move, Pack, Pathway, Rule

__all__ = ["Citation", "Move", "Pack", "PackError", "Pathway", "Rule", "Registry", "registry"]


class Registry:
    """The active packs, looked up by rule and pathway id."""

    def __init__(self, packs: dict[str, Pack]):
        self.packs = packs
        self.rules: dict[str, Rule] = {}
        self.pathways: dict[str, Pathway] = {}
        for pack in packs.values():
            for rid, rule in pack.rules.items():
                if rid in self.rules:
                    raise PackError(f"rule id {rid} is in two packs")
                self.rules[rid] = rule
            for pid, pathway in pack.pathways.items():
                if pid in self.pathways:
                    raise PackError(f"pathway id {pid} is in two packs")
                self.pathways[pid] = pathway
        # Moves between active pathways only: a move to or from a pack not in use is not offered.
        self.moves: dict[str, Move] = {}
        for pack in packs.values():
            for mid, move in pack.moves.items():
                if mid in self.moves:
                    raise PackError(f"move id {mid} is in two packs")
                froms = tuple(p for p in move.from_pathways if p in self.pathways)
                if froms and move.to in self.pathways:
                    self.moves[mid] = _checked(self, move, froms)

    def rule(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise KeyError(f"no rule {rule_id!r} in the active guidance packs") from None

    def pathway(self, pathway_id: str) -> Pathway:
        try:
            return self.pathways[pathway_id]
        except KeyError:
            raise KeyError(f"no pathway {pathway_id!r} in the active guidance packs") from None

    def pack_of(self, rule_or_pathway_id: str) -> Pack:
        item = self.rules.get(rule_or_pathway_id) or self.pathways.get(rule_or_pathway_id)
        if item is None:
            raise KeyError(rule_or_pathway_id)
        return self.packs[item.pack]

    def moves_from(self, pathway_id: str) -> list[Move]:
        """The moves the guidance gives from a pathway, in pack order."""
        return [m for m in self.moves.values() if pathway_id in m.from_pathways]

    def knowledge(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.kind == "knowledge"]


def _checked(reg: Registry, move: Move, froms: tuple[str, ...]) -> Move:
    """A move whose steps are where it says: ``after`` on every pathway it leaves, ``starts``
    on the pathway it joins, each outcome one its rule has."""
    where = f"{move.pack}: move {move.id}"
    for pathway_id in froms:
        if move.after and move.after not in reg.pathways[pathway_id].steps:
            raise PackError(f"{where}: after {move.after} is not a step of {pathway_id}")
    if move.starts and move.starts not in reg.pathways[move.to].steps:
        raise PackError(f"{where}: starts {move.starts} is not a step of {move.to}")
    for step, outcomes in ((move.after, move.after_outcomes), (move.starts, (move.starts_outcome,))):
        known = reg.rules[step].outcomes if step else ()
        wrong = [o for o in outcomes if o and o not in known]
        if wrong:
            raise PackError(f"{where}: {step} has no outcome {', '.join(wrong)}")
    if move.starts and reg.rules[move.starts].outcomes and not move.starts_outcome:
        raise PackError(f"{where}: starts {move.starts} needs its outcome")
    return dataclasses.replace(move, from_pathways=froms)


@lru_cache(maxsize=4)
def _registry(only: Optional[tuple[str, ...]]) -> Registry:
    return Registry(load_packs(only=only))


def registry() -> Registry:
    active = config.active_packs()
    return _registry(tuple(active) if active else None)
