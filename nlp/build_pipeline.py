"""Build the spaCy pipeline Rasa's SpacyNLP loads: a blank English pipeline plus an
entity ruler with the project's own patterns (nlp/patterns.jsonl). Nothing is
downloaded; the result is saved under build/spacy-ehbot (gitignored).

    python nlp/build_pipeline.py [OUT_DIR]

The pipeline is rebuilt only when the patterns changed (a stamp beside it holds
their hash), so `make` and `ehbot run` can call this every time.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PATTERNS = HERE / "patterns.jsonl"
DEFAULT_OUT = HERE.parent / "build" / "spacy-ehbot"
STAMP_NAME = "ehbot-patterns.sha256"


def patterns_hash() -> str:
    digest = hashlib.sha256(PATTERNS.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def is_current(out: Path = DEFAULT_OUT) -> bool:
    stamp = out / STAMP_NAME
    return (out / "meta.json").is_file() and stamp.is_file() and stamp.read_text().strip() == patterns_hash()


def build(out: Path = DEFAULT_OUT, force: bool = False) -> Path:
    if not force and is_current(out):
        return out
    import spacy  # only when building

    nlp = spacy.blank("en")
    nlp.meta["name"] = "ehbot"
    nlp.meta["description"] = "Blank English pipeline with ehbot's entity patterns (case refs, roles, document terms)"
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.from_disk(PATTERNS)
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    (out / STAMP_NAME).write_text(patterns_hash() + "\n")
    return out


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    built = build(out, force="--force" in argv)
    print(f"spaCy pipeline ready at {built}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
