"""Case references as practitioners type them: 'c-1042', 'C1042', 'c 1042' -> 'C-1042'."""
from __future__ import annotations

import re
from typing import Optional

REFERENCE = re.compile(r"^\s*([A-Za-z]{1,4})[\s_-]*(\d{1,10})\s*$")


def normalise_reference(text: Optional[str]) -> Optional[str]:
    """The case reference in its one written form, or None if the text is not one."""
    match = REFERENCE.match(text or "")
    return f"{match.group(1).upper()}-{match.group(2)}" if match else None
