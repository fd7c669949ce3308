"""The coverage table: every section of every document, the rules that encode it, kept true in the README."""
import re
from pathlib import Path

import pytest

from bot import config
from bot.cli import main
from bot.guidance.citations import citation_problems
from bot.guidance.coverage import coverage_markdown
from bot.guidance.loader import PACKS_DIR, PackError, load_pack, load_packs

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- coverage:start -->\n", "<!-- coverage:end -->"
PACKS = load_packs()
GUIDANCE = config.guidance_dir()


def _readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1, "README needs one pair of coverage markers"
    return text.split(START, 1)[1].split(END, 1)[0]


def test_readme_coverage_table_is_current():
    assert _readme_table() == coverage_markdown(PACKS), (
        "README coverage table is stale: run `make readme`"
    )


def test_every_section_of_every_pack_is_in_the_readme_table():
    rows = {m.group(1) for m in re.finditer(r"^\| (.+?) \| .* \|$", _readme_table(), re.M)} - {"section", "---"}
    listed = {heading.replace("|", "\\|") for pack in PACKS.values() for heading, _ in pack.sections}
    for pack in PACKS.values():
        assert pack.sections, f"{pack.id} has no sections list"
    assert listed <= rows, f"sections missing from the README table: {sorted(listed - rows)}"
    assert rows <= listed, f"README rows that are no pack's section: {sorted(rows - listed)}"


def test_the_cli_prints_the_table(capsys):
    assert main(["packs", "coverage"]) == 0
    assert capsys.readouterr().out == coverage_markdown(PACKS)


def test_a_pack_citing_an_unlisted_section_is_refused(tmp_path):
    text = (PACKS_DIR / "cads-outcome-to-caf.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    assert "\n  - Parent/Carer consent\n" in text
    broken.write_text(text.replace("\n  - Parent/Carer consent\n", "\n", 1), encoding="utf-8")
    with pytest.raises(PackError, match=r"rule cads\.informed-consent: section 'Parent/Carer consent' is not listed"):
        load_pack(broken)


def test_a_cited_section_cannot_be_marked_not_encoded(tmp_path):
    text = (PACKS_DIR / "cads-outcome-to-caf.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    marked = "\n  - heading: Parent/Carer consent\n    not_encoded: context only\n"
    broken.write_text(text.replace("\n  - Parent/Carer consent\n", marked, 1), encoding="utf-8")
    with pytest.raises(PackError, match=r"cads\.informed-consent: cites section 'Parent/Carer consent', which sections marks not_encoded"):
        load_pack(broken)


@pytest.mark.skipif(GUIDANCE is None, reason="guidance documents not found: set EHBOT_GUIDANCE_DIR")
def test_a_listed_heading_must_be_a_heading_of_the_document(tmp_path):
    text = (PACKS_DIR / "cads-outcome-to-caf.yaml").read_text(encoding="utf-8")
    altered = tmp_path / "altered.yaml"
    altered.write_text(text.replace("  - heading: Practice Guidance\n", "  - heading: Practise Guidance\n", 1), encoding="utf-8")
    problems = citation_problems(load_pack(altered), GUIDANCE)
    assert any("sections: heading not found" in p and "Practise Guidance" in p for p in problems)


@pytest.mark.skipif(GUIDANCE is None, reason="guidance documents not found: set EHBOT_GUIDANCE_DIR")
@pytest.mark.parametrize("pack_id", sorted(PACKS))
def test_every_markdown_heading_is_listed(pack_id):
    pack = PACKS[pack_id]
    lines = (GUIDANCE / pack.document).read_text(encoding="utf-8").splitlines()
    hashed = [" ".join(line.lstrip("#").split()) for line in lines if line.startswith("#")]
    if hashed:
        assert hashed == [heading for heading, _ in pack.sections]
