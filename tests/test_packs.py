"""Guidance packs: well formed, every quote verbatim, every timescale cited."""
import re

import pytest

from bot import config
from bot.guidance import Registry, registry
from bot.guidance.citations import citation_problems
from bot.guidance.loader import PACKS_DIR, PackError, load_pack, load_packs

PACKS = load_packs()
GUIDANCE = config.guidance_dir()
needs_documents = pytest.mark.skipif(
    GUIDANCE is None,
    reason="guidance documents not found: set EHBOT_GUIDANCE_DIR to the folder holding them to check citations",
)


@needs_documents
@pytest.mark.parametrize("pack_id", sorted(PACKS))
def test_every_quote_and_section_is_in_the_document(pack_id):
    assert citation_problems(PACKS[pack_id], GUIDANCE) == []


@needs_documents
def test_every_document_has_a_pack():
    documents = {p.name for p in GUIDANCE.glob("*.txt")}
    assert documents == {pack.document for pack in PACKS.values()}


def _periods(rule):
    periods = []
    if rule.due:
        periods += [rule.due.within] + ([rule.due.earliest] if rule.due.earliest else [])
    if rule.repeat:
        periods += [rule.repeat.every, rule.repeat.at_most]
    return periods


# A timescale a quote states in a word: "should occur monthly" is one month.
IN_WORDS = {("months", 1): r"\bmonthly\b", ("weeks", 1): r"\bweekly\b", ("days", 1): r"\bdaily\b"}


@pytest.mark.parametrize("pack_id", sorted(PACKS))
def test_every_timescale_is_stated_in_a_quote_of_its_rule(pack_id):
    for rule in PACKS[pack_id].rules.values():
        quoted = " ".join(c.quote for c in rule.citations)
        numbers = set(re.findall(r"\d+", quoted))
        missing = {str(p.amount) for p in _periods(rule)
                   if not re.search(IN_WORDS.get((p.unit, p.amount), r"(?!)"), quoted)} - numbers
        assert not missing, f"{rule.id}: timescale {missing} is not in any of its quotes"
        if rule.escalate:
            assert re.search(r"\d", rule.escalate.citation.quote), f"{rule.id}: escalation quote states no timescale"


def test_rule_ids_are_unique_across_packs_and_prefixed_consistently():
    reg = Registry(PACKS)
    for pack in PACKS.values():
        prefixes = {rid.split(".")[0] for rid in pack.rules}
        assert len(prefixes) == 1, f"{pack.id} mixes rule prefixes {prefixes}"
    assert len(reg.rules) == sum(len(p.rules) for p in PACKS.values())


def test_a_deployment_chooses_its_packs(monkeypatch):
    monkeypatch.setenv("EHBOT_PACKS", "cads-outcome-to-caf")
    assert list(registry().packs) == ["cads-outcome-to-caf"]
    monkeypatch.setenv("EHBOT_PACKS", "no-such-pack")
    with pytest.raises(PackError, match="no-such-pack"):
        registry()
    monkeypatch.delenv("EHBOT_PACKS")
    assert set(registry().packs) == set(PACKS)


def test_a_malformed_pack_is_refused_with_its_reason(tmp_path):
    text = (PACKS_DIR / "cads-outcome-to-caf.yaml").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("within: {weeks: 4}", "within: {fortnights: 2}", 1))
    with pytest.raises(PackError, match="cads.initial-family-planning-meeting"):
        load_pack(broken)
    broken.write_text(text.replace("requires:\n      - {step: cads.assessment-outcome}", "requires:\n      - {step: cads.no-such-step}", 1))
    with pytest.raises(PackError, match="unknown rule cads.no-such-step"):
        load_pack(broken)
    broken.write_text(text.replace("at: {months: 12}", "at: {months: 12}\n      within: {months: 13}", 1))
    with pytest.raises(PackError, match="cads.reassessment-at-12-months.*due.at"):
        load_pack(broken)
    broken.write_text(text.replace("    kind: event\n    owner: lead_professional\n", "    kind: event\n    optional: true\n    owner: lead_professional\n", 1)
                      .replace("      - {step: cads.update-referrer, reason: the referrer has not been told the outcome}",
                               "      - {step: cads.existing-caf-start}"))
    with pytest.raises(PackError, match="cads.existing-caf-start, which is optional"):
        load_pack(broken)


def test_a_misquoted_rule_is_caught(tmp_path):
    if GUIDANCE is None:
        pytest.skip("guidance documents not found: set EHBOT_GUIDANCE_DIR")
    text = (PACKS_DIR / "cads-outcome-to-caf.yaml").read_text()
    altered = tmp_path / "altered.yaml"
    altered.write_text(text.replace("within 4 weeks of the recommendation to CAF", "within 6 weeks of the recommendation to CAF"))
    problems = citation_problems(load_pack(altered), GUIDANCE)
    assert any("cads.initial-family-planning-meeting" in p for p in problems)


def test_knowledge_answers_are_statements_not_yes_or_no():
    # An answer is matched to questions phrased many ways ("do I need consent?",
    # "can I call without consent?"): a bare yes or no would answer the wrong one.
    opening = re.compile(r"^(yes|no|normally yes|normally no|only)\b", re.I)
    for pack in PACKS.values():
        for rule in pack.rules.values():
            if rule.kind == "knowledge":
                assert not opening.match(rule.answer), f"{rule.id} opens with a bare yes/no: {rule.answer[:40]!r}"
