"""Rasa for the benchmarks: the bare bot (trained at run time, never committed), ehbot's
cached test model, Rasa's command line, and the memory of a running server's processes.

The bare bot's project is ``benchmarks/bare_bot/``. Its model is cached under the system's
temp folder, keyed by a hash of its files (a file lock keeps two runs from training into
it at once); ``train_bare(force=True)`` trains it into a directory of the caller's choosing,
for timing.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BARE = HERE / "bare_bot"
BARE_INPUTS = ("config.yml", "domain.yml", "data")
BARE_CACHE = Path(tempfile.gettempdir()) / f"ehbot-bench-bare-{os.getuid()}"
for _path in (str(ROOT), str(ROOT / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bot import run as ehbot_run  # noqa: E402  (after the path is set)


def rasa(*args: str, log: Path, cache: Optional[Path] = None, timeout: float = 7200) -> float:
    """Runs Rasa's command line from the project root (output to ``log``); returns seconds taken.
    ``cache``: Rasa's training cache (default .rasa/cache); a fresh one means nothing is reused."""
    extra = {"RASA_CACHE_DIRECTORY": str(cache)} if cache else {}
    started = time.perf_counter()
    with open(log, "w") as out:
        done = subprocess.run([ehbot_run._bin("rasa"), *args], cwd=ROOT, env=ehbot_run.child_env(**extra),
                              stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"rasa {args[0]} failed (exit {done.returncode}); see {log}")
    return seconds


def _bare_hash() -> str:
    digest = hashlib.sha256(ehbot_run._bin("rasa").encode())
    for name in BARE_INPUTS:
        path = BARE / name
        for f in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
            digest.update(str(f.relative_to(BARE)).encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def train_bare(directory: Path = BARE_CACHE, force: bool = False,
               cache: Optional[Path] = None) -> tuple[Path, Optional[float]]:
    """The bare bot's model in ``directory``, trained unless current (with ``force``: always,
    every component, Rasa's cache skipped). Returns its path and the seconds training took
    (None when reused)."""
    directory.mkdir(parents=True, exist_ok=True)
    model = directory / "bare.tar.gz"
    stamp = directory / "bare.inputs.sha256"
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            wanted = _bare_hash()
            if not force and model.is_file() and stamp.is_file() and stamp.read_text().strip() == wanted:
                return model, None
            seconds = rasa("train", "--config", str(BARE / "config.yml"), "--domain", str(BARE / "domain.yml"),
                           "--data", str(BARE / "data"), "--out", str(directory), "--fixed-model-name", "bare",
                           *(["--force"] if force else []), log=directory / "train.log",
                           cache=cache or directory / "rasa-cache")  # never the project's .rasa/cache
            stamp.write_text(wanted + "\n")
            return model, seconds
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ehbot_model() -> Path:
    """ehbot's model, shared with the slow tests (tests/rasa_support.py: trained once, reused)."""
    from rasa_support import trained_model

    return trained_model()


# --- memory of a server and everything it started ---------------------------------------


def _session_pids(leader: int) -> list[int]:
    """The processes in the session ``leader`` started (the servers run with start_new_session)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == leader:  # after the command: state, ppid, pgrp, session
            pids.append(int(entry))
    return pids


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mb(leaders: list[int]) -> float:
    """Resident memory now, summed over every process of these servers' sessions."""
    return sum(_status_kb(pid, "VmRSS") for leader in leaders for pid in _session_pids(leader)) / 1024


def hwm_mb(leaders: list[int]) -> float:
    """The sum of each process's own peak (VmHWM): an upper bound on the stack's peak."""
    return sum(_status_kb(pid, "VmHWM") for leader in leaders for pid in _session_pids(leader)) / 1024
