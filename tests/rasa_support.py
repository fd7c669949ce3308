"""Shared by the slow Rasa tests: one trained model per set of training inputs.

The model is trained once into a directory under the system's temp folder keyed by
nothing but its name; bot.run's stamp (a hash of config, domain, data and patterns)
says whether it is current, so a rerun with unchanged inputs reuses it. A file lock
keeps two test runs from training into it at once.
"""
from __future__ import annotations

import fcntl
import os
import socket
import tempfile
import time
from pathlib import Path

from bot import run as ehbot_run

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = Path(os.environ.get("EHBOT_TEST_MODEL_DIR", Path(tempfile.gettempdir()) / f"ehbot-test-model-{os.getuid()}"))


def trained_model() -> Path:
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    with open(MODEL_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            started = time.monotonic()
            fresh = not ehbot_run.model_is_current(MODEL_DIR)
            path = ehbot_run.train(MODEL_DIR)
            if fresh:
                print(f"\ntrained the Rasa model in {time.monotonic() - started:.0f}s into {MODEL_DIR}")
            return path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def rasa_env() -> dict:
    return ehbot_run.child_env()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
