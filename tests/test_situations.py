"""The situations kept beside the packs (bot/guidance/packs/situations/*.yaml): each a case,
a day and what the guidance makes of it, worked by hand from the documents' words."""
from __future__ import annotations

import textwrap

import pytest

from bot.cli import main
from bot.guidance import registry
from bot.guidance.situations import SituationError, check, load

SITUATIONS = load()
# The review findings each situation file holds to (issue 14's W1-W7).
FINDINGS = {f"W{n}" for n in range(1, 8)}


@pytest.mark.parametrize("situation", SITUATIONS, ids=[f"{s.source} {s.name}" for s in SITUATIONS])
def test_each_situation_holds(situation):
    assert check(situation, registry()) == []


def test_every_pack_has_situations_and_every_finding_has_one():
    packs = {s.source.split(" #")[0].removesuffix(".yaml") for s in SITUATIONS}
    assert packs == set(registry().packs)
    assert {s.finding for s in SITUATIONS if s.finding} == FINDINGS


def _one(tmp_path, body):
    (tmp_path / "p.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return load(tmp_path)


def test_a_wrong_expectation_is_reported_with_what_was_found(tmp_path):
    [situation] = _one(tmp_path, """\
        situations:
          - name: "the initial FPM due in 3 weeks (wrong: the document says 4)"
            case:
              pathway: cads-progress-to-caf
              opened_on: 2026-11-02
              steps: [{rule: cads.assessment-outcome, date: 2026-11-10}]
            today: 2026-11-23
            expect:
              cads.initial-family-planning-meeting: {state: todo, due: 2026-12-01}
              cads.no-such-step: done
        """)
    assert check(situation, registry()) == ["cads.no-such-step is not a rule of the packs"]
    situation.expect.pop("cads.no-such-step")
    assert check(situation, registry()) == [
        "cads.initial-family-planning-meeting: state is 'blocked', expected 'todo'",
        "cads.initial-family-planning-meeting: due is datetime.date(2026, 12, 8), expected datetime.date(2026, 12, 1)",
    ]


@pytest.mark.parametrize("expect, message", [
    ("{cads.assessment-outcome: finished}", "state 'finished' is not one of"),
    ("{cads.assessment-outcome: {when: 2026-11-10}}", "unknown check(s) when"),
    ("{cads.assessment-outcome: {due: soon}}", "'soon' is not a date"),
])
def test_a_situation_written_wrongly_is_refused_saying_where(tmp_path, expect, message):
    with pytest.raises(SituationError, match="p.yaml #1") as refused:
        _one(tmp_path, f"""\
            situations:
              - name: x
                case: {{pathway: cads-progress-to-caf, opened_on: 2026-11-02}}
                today: 2026-11-23
                expect: {expect}
            """)
    assert message in str(refused.value)


def test_the_command_line_runs_them_all(capsys):
    assert main(["packs", "situations"]) == 0
    out = capsys.readouterr().out
    assert f"{len(SITUATIONS)} situations hold" in out and "FAIL" not in out
