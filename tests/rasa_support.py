"""Shared by the slow Rasa tests: one trained model per set of training inputs.

The model is trained once into a directory under the system's temp folder keyed by
nothing but its name; bot.run's stamp (a hash of config, domain, data and patterns)
says whether it is current, so a rerun with unchanged inputs reuses it. A file lock
keeps two test runs from training into it at once.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
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


@contextlib.contextmanager
def demo_stack(tmp: Path, today: str, **extra_env: str):
    """The action and Rasa servers on free ports over a fresh demo database under ``tmp``.

    Yields (servers, env); stops both servers on the way out.
    """
    env = {
        "EHBOT_DATABASE_URL": f"sqlite:///{tmp / 'ehbot.sqlite3'}",
        "EHBOT_TRACKER_URL": f"sqlite:///{tmp / 'rasa-tracker.sqlite3'}",
        "EHBOT_VAR_DIR": str(tmp / "var"),
        "EHBOT_TODAY": today,
        "RASA_TELEMETRY_ENABLED": "false",
        **extra_env,
    }
    cli_env = {**os.environ, **env}
    for args in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=cli_env, check=True, capture_output=True)
    model = trained_model()
    servers = ehbot_run.Servers(free_port(), free_port(), tmp / "logs", extra_env=env)
    saved_var_dir = os.environ.get("EHBOT_VAR_DIR")
    os.environ["EHBOT_VAR_DIR"] = env["EHBOT_VAR_DIR"]  # where the endpoints copy for this port goes
    try:
        servers.start(model)
        servers.wait_until_up(timeout=420)
        yield servers, env
    finally:
        servers.stop()
        if saved_var_dir is None:
            os.environ.pop("EHBOT_VAR_DIR", None)
        else:
            os.environ["EHBOT_VAR_DIR"] = saved_var_dir
