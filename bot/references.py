"""Case references as an authority's case system writes them, set per deployment.

``EHBOT_CASE_REFERENCE_PATTERN`` is a regular expression for one reference. With named
groups ``prefix`` and ``number`` a reference is written ``PREFIX-NUMBER`` whatever the
separator typed; without them, as typed in upper case with spaces and separators
removed. The default reads 'c-1042', 'C1042' and 'c 1042' as 'C-1042'.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Optional

SETTING = "EHBOT_CASE_REFERENCE_PATTERN"
# As typed on its own: letters, any separator, digits. In a sentence (below) a space
# separates only a single letter ("c 1042"), so "year 10" or "level 4" is never a case.
DEFAULT = r"(?P<prefix>[A-Za-z]{1,4})[\s_-]*(?P<number>\d{1,10})"
DEFAULT_IN_TEXT = r"(?P<prefix>[A-Za-z]{1,4})[_-]?(?P<number>\d{3,10})|(?P<p1>[A-Za-z])\s(?P<n1>\d{3,10})"


@lru_cache(maxsize=4)
def _patterns(setting: str) -> tuple[re.Pattern, re.Pattern]:
    if setting:
        whole = re.compile(rf"^\s*(?:{setting})\s*$", re.I)
        return whole, re.compile(rf"(?<![\w-])(?:{setting})(?![\w-])", re.I)
    return re.compile(rf"^\s*(?:{DEFAULT})\s*$"), re.compile(rf"(?<![\w-])(?:{DEFAULT_IN_TEXT})(?![\w-])")


def patterns() -> tuple[re.Pattern, re.Pattern]:
    """(a whole reference, a reference inside a sentence), from the setting."""
    return _patterns(os.environ.get(SETTING, "").strip())


def _written(match: re.Match) -> str:
    groups = match.groupdict()
    prefix = groups.get("prefix") or groups.get("p1")
    number = groups.get("number") or groups.get("n1")
    if prefix is not None and number is not None:
        return f"{prefix.upper()}-{number}"
    return re.sub(r"[\s_-]+", "", match.group(0)).upper()


def normalise_reference(text: Optional[str]) -> Optional[str]:
    """The case reference in its one written form, or None if the text is not one."""
    match = patterns()[0].match(text or "")
    return _written(match) if match else None


def find_reference(text: Optional[str]) -> Optional[str]:
    """The first case reference in a sentence, in its written form, or None."""
    match = patterns()[1].search(text or "")
    return _written(match) if match else None


def without_reference(text: str, standing: str = "the case") -> str:
    """The sentence with each case reference in it replaced by ``standing``."""
    return patterns()[1].sub(standing, text or "")


def check_setting() -> Optional[str]:
    """What is wrong with the reference setting, or None."""
    setting = os.environ.get(SETTING, "").strip()
    if not setting:
        return None
    try:
        re.compile(setting)
    except re.error as exc:
        return f"{SETTING} is not a regular expression ({exc})"
    return None
