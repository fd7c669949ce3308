"""A page drawn by headless Chromium (Debian's package): the timeliness page as a picture,
and the page as the browser built it, for checking what a reader would see."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
PHONE = (390, 2400)
DESKTOP = (1100, 2400)


class NoBrowser(RuntimeError):
    pass


def find() -> Optional[str]:
    named = os.environ.get("EHBOT_CHROMIUM")
    if named:
        return shutil.which(named)
    return next((found for found in map(shutil.which, CANDIDATES) if found), None)


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    browser = find()
    if not browser:
        raise NoBrowser("Chromium is not installed (Debian: apt-get install chromium, or `make browser`)")
    # A profile of its own each time: nothing read from or left in the user's.
    with tempfile.TemporaryDirectory(prefix="ehbot-chromium-") as profile:
        return subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=timeout, check=True)


def screenshot(page: Path, png: Path, size: tuple[int, int] = DESKTOP, timeout: float = 60) -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    _run([f"--window-size={width},{height}", f"--screenshot={png.resolve()}", page.resolve().as_uri()], timeout)
    return png


def rendered_dom(page: Path, timeout: float = 60) -> str:
    return _run(["--dump-dom", page.resolve().as_uri()], timeout).stdout
