"""Where a move between pathways (``guidance.Move``) stands on one case: plain data, no database.

A move follows a step recorded on the pathway it leaves (``after``); the new episode opens
on the day of the move, or, where the move counts from that step, on the step's day.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from bot.casefile import CaseFile, RecordedStep
from bot.guidance import Move


def what_it_follows(file: CaseFile, move: Move) -> Optional[RecordedStep]:
    """The latest recording of the step the move follows (with an outcome it accepts), or None."""
    done = [s for s in file.steps_for(move.after) if not move.after_outcomes or s.outcome in move.after_outcomes] \
        if move.after else []
    return done[-1] if done else None


def waits(file: CaseFile, move: Move) -> bool:
    """Whether the move must wait for a step not recorded yet."""
    return bool(move.after) and what_it_follows(file, move) is None


def opens_on(file: CaseFile, move: Move, asked: dt.date) -> dt.date:
    """The new episode's first day: the step's day where the move counts from it, else ``asked``."""
    follows = what_it_follows(file, move)
    return follows.done_on if move.counts_from_after and follows is not None else asked
