"""The database layer's exceptions in one place, for callers that report them.

Each has a one-line message fit to show a practitioner or operator (no names,
no passwords); ``USER_FACING`` is what the CLI prints instead of a traceback.
"""
from bot.db.migrate import NotMigrated
from bot.db.repositories import CaseNotFound, ConsentRejected, RecordRejected, StepRejected
from bot.db.session import DatabaseUnavailable

USER_FACING = (DatabaseUnavailable, NotMigrated, CaseNotFound, RecordRejected)

__all__ = [
    "CaseNotFound",
    "ConsentRejected",
    "DatabaseUnavailable",
    "NotMigrated",
    "RecordRejected",
    "StepRejected",
    "USER_FACING",
]
