"""Pack conditions, evaluated in three-valued logic over one case.

A fact the case does not record is *unknown*, never assumed: the caller gets the
question to ask instead of a guess.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from bot.casefile import LAWFUL_BASIS_TO_SHARE, CONSENT_TO_ENGAGE, CaseFile

# What to ask when a fact is missing, in a practitioner's words.
FACT_QUESTIONS = {
    "pathway": "which outcome path the case is on",
    "referrer_advice_only": "whether the referrer was only seeking advice (this decides who gains consent)",
    "lead_professional_named": "who the lead professional is",
    "consent_to_engage": "whether the parent or carer has given consent",
    "lawful_basis_to_share": "the lawful basis for sharing information",
    "case_open": "whether the case is open",
}


def case_facts(case: CaseFile) -> dict[str, object]:
    engage = case.latest_consent(CONSENT_TO_ENGAGE)
    share = case.latest_consent(LAWFUL_BASIS_TO_SHARE)
    return {
        "pathway": case.pathway,
        "referrer_advice_only": case.referrer_advice_only,
        "lead_professional_named": case.lead_professional is not None,
        "consent_to_engage": engage.status if engage else None,
        "lawful_basis_to_share": share.status if share else None,
        "case_open": case.closed_on is None,
    }


@dataclass
class Verdict:
    value: Optional[bool]
    unmet: list[str] = field(default_factory=list)  # why it is false
    missing: list[str] = field(default_factory=list)  # what is needed to know


class ConditionEvaluator:
    def __init__(
        self,
        case: CaseFile,
        title_of: Callable[[str], str],
        is_done: Callable[[str], bool],
        is_decision: Callable[[str], bool] = lambda rule_id: False,
    ):
        self.case = case
        self.facts = case_facts(case)
        self.title_of = title_of
        self.is_done = is_done
        self.is_decision = is_decision

    def __call__(self, cond: dict) -> Verdict:
        verdict = self._eval(cond)
        if cond.get("reason") and verdict.value is not True:
            if verdict.value is False:
                verdict.unmet = [cond["reason"]]
            else:
                verdict.missing = [cond["reason"]]
        return verdict

    def _eval(self, cond: dict) -> Verdict:
        if "all" in cond:
            return self._combine([self(c) for c in cond["all"]], all_of=True)
        if "any" in cond:
            return self._combine([self(c) for c in cond["any"]], all_of=False)
        if "not" in cond:
            inner = self(cond["not"])
            if inner.value is None:
                return Verdict(None, missing=inner.missing)
            return Verdict(not inner.value, unmet=[f"not the case that: {self._describe(cond['not'])}"])
        if "step" in cond:
            return self._step(cond)
        return self._fact(cond)

    def _step(self, cond: dict) -> Verdict:
        rule_id = cond["step"]
        title = self.title_of(rule_id)
        if "outcome" not in cond:
            return Verdict(True) if self.is_done(rule_id) else Verdict(False, unmet=[f"waiting for: {title}"])
        latest = self.case.latest(rule_id)
        if latest is None:
            if self.is_decision(rule_id):
                # A decision not yet made is a fork not yet taken: which branch applies is unknown.
                return Verdict(None, missing=[f"the outcome of: {title}"])
            # Any other step's result not yet recorded is a step still to come.
            return Verdict(False, unmet=[f"waiting for: {title} ({cond['outcome'].replace('_', ' ')})"])
        if latest.outcome == cond["outcome"]:
            return Verdict(True)
        return Verdict(False, unmet=[f"{title}: outcome was {latest.outcome or 'not recorded'}"])

    def _fact(self, cond: dict) -> Verdict:
        name = cond["fact"]
        value = self.facts.get(name)
        if value is None:
            return Verdict(None, missing=[FACT_QUESTIONS.get(name, name)])
        wanted = cond["in"] if "in" in cond else [cond["equals"]]
        if value in wanted:
            return Verdict(True)
        return Verdict(False, unmet=[f"{FACT_QUESTIONS.get(name, name)}: {value}"])

    def _describe(self, cond: dict) -> str:
        if "step" in cond:
            title = self.title_of(cond["step"])
            return f"{title} ({cond['outcome']})" if "outcome" in cond else title
        if "fact" in cond:
            return f"{cond['fact']} is {cond.get('equals', cond.get('in'))}"
        return "a combined condition"

    @staticmethod
    def _combine(verdicts: list[Verdict], all_of: bool) -> Verdict:
        decisive = False if all_of else True
        hits = [v for v in verdicts if v.value is decisive]
        if hits:
            return Verdict(decisive, unmet=[u for v in hits for u in v.unmet])
        unknown = [v for v in verdicts if v.value is None]
        if unknown:
            return Verdict(None, missing=[m for v in unknown for m in v.missing])
        return Verdict(not decisive, unmet=[u for v in verdicts for u in v.unmet])
