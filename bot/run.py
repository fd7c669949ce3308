"""``ehbot run``: start the assistant with its embedded defaults.

The database is migrated and the demo data loaded by ``make run`` before this.
"""
from __future__ import annotations

from bot.db.migrate import ensure_migrated
from bot.db.repositories import CaseRepository
from bot.db.session import make_engine, session_scope
from bot.pathways import evaluate
from bot.render import due_words


def overview() -> str:
    engine = make_engine()
    try:
        ensure_migrated(engine)
        lines = ["Open cases and their next steps:"]
        with session_scope(engine) as session:
            for case_file in CaseRepository(session).open_cases():
                view = evaluate(case_file)
                nxt = view.next_step
                what = f"{nxt.title} — {due_words(nxt)}" if nxt else "nothing to do now"
                flag = f" [{len(view.overdue)} overdue]" if view.overdue else ""
                lines.append(f"  {case_file.reference} ({view.pathway_id}){flag}: {what}")
        return "\n".join(lines)
    finally:
        engine.dispose()


def run() -> int:
    print(overview())
    print("\nTry: .venv/bin/ehbot case show C-1042")
    return 0
