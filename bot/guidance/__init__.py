"""Guidance packs: the rules, as data, each citing its document."""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

from bot import config
from bot.guidance.loader import PackError, load_packs
from bot.guidance.model import Citation, Pack, Pathway, Rule

__all__ = ["Citation", "Pack", "PackError", "Pathway", "Rule", "Registry", "registry"]


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

    def knowledge(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.kind == "knowledge"]


@lru_cache(maxsize=4)
def _registry(only: Optional[tuple[str, ...]]) -> Registry:
    return Registry(load_packs(only=only))


def registry() -> Registry:
    active = config.active_packs()
    return _registry(tuple(active) if active else None)
