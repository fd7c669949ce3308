"""What the reminder dates depend on beyond a case's own data, as one fingerprint.

The scanner stores on each case the first day one of its steps can reach a new
reminder stage. A write to the case clears that date; the fingerprint covers
everything else the date was worked out from: the active guidance packs, the
working-day calendar (local closure days, the ``holidays`` package's bank
holidays) and the reminder settings. When it differs from the one stored, every
open case is evaluated again.
"""
from __future__ import annotations

import hashlib
import json

import holidays

from bot.calendar import WorkingCalendar
from bot.notify.settings import ReminderSettings

# Change this when the scanner's own reckoning of dates changes (stage_of, next_change).
SCANNER_RULES = 1


def rules_fingerprint(registry, calendar: WorkingCalendar, settings: ReminderSettings) -> str:
    parts = {
        "scanner": SCANNER_RULES,
        "packs": {pack_id: [pack.version, _pack_digest(pack)] for pack_id, pack in sorted(registry.packs.items())},
        "closure_days": sorted(day.isoformat() for day in calendar.closure_days),
        "holidays": holidays.__version__,
        "due_soon_working_days": settings.due_soon_working_days,
        "local_escalation_after_working_days": settings.local_escalation_after_working_days,
        "local_escalation_to": settings.local_escalation_to,
    }
    return _digest(json.dumps(parts, sort_keys=True))


_PACK_DIGESTS: dict[int, tuple] = {}  # id(pack) -> (pack, digest): a loaded pack is not changed in place


def _pack_digest(pack) -> str:
    known = _PACK_DIGESTS.get(id(pack))
    if known is None or known[0] is not pack:
        if len(_PACK_DIGESTS) > 64:
            _PACK_DIGESTS.clear()
        # The packs' whole content, not only their version numbers: a pack edited without
        # a new version still changes the dates.
        known = _PACK_DIGESTS[id(pack)] = (pack, _digest((pack.roles, pack.pathways, pack.rules)))
    return known[1]


def _digest(value) -> str:
    # Packs are plain frozen dataclasses, dicts and tuples: their repr is their content.
    text = value if isinstance(value, str) else repr(value)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
