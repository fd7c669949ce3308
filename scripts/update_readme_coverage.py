"""Rewrite the README's guidance coverage table from the packs (make readme)."""
from pathlib import Path

from bot.guidance.coverage import coverage_markdown
from bot.guidance.loader import load_packs

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- coverage:start -->\n", "<!-- coverage:end -->"

text = README.read_text(encoding="utf-8")
head, rest = text.split(START, 1)
_, tail = rest.split(END, 1)
README.write_text(head + START + coverage_markdown(load_packs()) + END + tail, encoding="utf-8")
print("README coverage table updated")
