"""Concepts (what a practitioner says was done) -> the rule each means on a case.

The mapping is data (``concepts.yaml``); this module reads it, checks it
against the packs, and picks the rule for one case from the evaluator's view.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from bot.guidance import Registry
from bot.pathways import NOT_APPLICABLE, TODO, PathwayView, StepView

CONCEPTS_FILE = Path(__file__).with_name("concepts.yaml")
RECORD_KINDS = ("step", "consent", "booking")


@dataclass(frozen=True)
class Candidate:
    rule: str
    record: str = "step"
    outcome: Optional[str] = None
    outcome_words: tuple[tuple[str, tuple[str, ...]], ...] = ()
    words: tuple[str, ...] = ()
    consent: Optional[str] = None
    lead_professional: bool = False

    def outcome_for(self, text: str) -> Optional[str]:
        lowered = (text or "").lower()
        for outcome, words in self.outcome_words:
            if any(w in lowered for w in words):
                return outcome
        return self.outcome


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    packs: dict = field(default_factory=dict)  # pack id -> tuple of Candidate

    def candidates(self, pack_id: str) -> tuple[Candidate, ...]:
        return self.packs.get(pack_id, ())


def _candidate(raw: dict) -> Candidate:
    words = raw.get("outcome_words") or {}
    return Candidate(
        rule=raw["rule"],
        record=raw.get("record", "step"),
        outcome=raw.get("outcome"),
        outcome_words=tuple((k, tuple(v)) for k, v in words.items()),
        words=tuple(raw.get("words") or ()),
        consent=raw.get("consent"),
        lead_professional=bool(raw.get("lead_professional")),
    )


@lru_cache(maxsize=1)
def concepts() -> dict[str, Concept]:
    raw = yaml.safe_load(CONCEPTS_FILE.read_text(encoding="utf-8"))
    return {
        cid: Concept(cid, body["label"], {p: tuple(_candidate(c) for c in cands) for p, cands in body["packs"].items()})
        for cid, body in raw.items()
    }


def problems(reg: Registry, expected: tuple[str, ...]) -> list[str]:
    """What is wrong with the mapping against these packs (empty when it is right)."""
    found = concepts()
    out = [f"concept {c} has no mapping" for c in expected if c not in found]
    out += [f"{c} is mapped but is not a concept" for c in found if c not in expected]
    for concept in found.values():
        for pack_id, cands in concept.packs.items():
            for cand in cands:
                where = f"{concept.id} / {pack_id} / {cand.rule}"
                rule = reg.rules.get(cand.rule)
                if pack_id in reg.packs and rule is None:
                    out.append(f"{where}: no such rule")
                    continue
                if rule is None:
                    continue
                if rule.pack != pack_id:
                    out.append(f"{where}: the rule is in {rule.pack}")
                if cand.record not in RECORD_KINDS:
                    out.append(f"{where}: record is one of {RECORD_KINDS}")
                if (cand.record == "consent") != (rule.kind == "consent"):
                    out.append(f"{where}: consent rules are recorded as consent, and only they")
                for outcome in [cand.outcome] + [o for o, _ in cand.outcome_words]:
                    if outcome and outcome not in rule.outcomes:
                        out.append(f"{where}: {outcome} is not an outcome of the rule")
    return out


def _self_triggered(step: StepView, reg: Registry) -> bool:
    # An event that applies once it happens ("an agency disagrees"): recordable before it applies.
    rule = reg.rules.get(step.rule_id)
    return rule is not None and rule.when == {"step": rule.id}


def recordable(step: StepView, reg: Registry) -> bool:
    return step.open or (step.state == NOT_APPLICABLE and _self_triggered(step, reg))


@dataclass
class Match:
    candidate: Optional[Candidate]
    step: Optional[StepView]
    on_pathway: list[StepView]  # the concept's steps on this pathway, whatever their state


def pick(concept_id: str, view: PathwayView, reg: Registry, text: str = "") -> Match:
    """The first open step on the case's pathway that the concept can mean."""
    concept = concepts()[concept_id]
    pack_id = reg.pathway(view.pathway_id).pack
    lowered = (text or "").lower()
    on_pathway, open_ones = [], []
    for order, cand in enumerate(concept.candidates(pack_id)):
        try:
            step = view.step(cand.rule)
        except KeyError:
            continue  # the rule is not on this pathway
        on_pathway.append(step)
        if recordable(step, reg):
            worded = any(w in lowered for w in cand.words)
            ready = step.state == TODO or step.state == NOT_APPLICABLE
            open_ones.append(((not worded, not ready, order), cand, step))
    if not open_ones:
        return Match(None, None, on_pathway)
    _, cand, step = min(open_ones, key=lambda x: x[0])
    return Match(cand, step, on_pathway)
