"""``python -m bot.guidance.check``: load every pack and check every citation."""
from __future__ import annotations

import sys

from bot import config
from bot.guidance.citations import all_citation_problems
from bot.guidance.loader import PackError, load_packs


def main() -> int:
    try:
        packs = load_packs()
    except PackError as exc:
        print(f"pack error: {exc}", file=sys.stderr)
        return 1
    where = config.guidance_dir()
    if where is None:
        print("guidance documents not found (set EHBOT_GUIDANCE_DIR): citations not checked", file=sys.stderr)
        return 1
    problems = all_citation_problems(packs.values(), where)
    for p in problems:
        print(p)
    rules = sum(len(p.rules) for p in packs.values())
    print(f"{len(packs)} packs, {rules} rules, {len(problems)} citation problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
