"""``ehbot run``: start the assistant with its embedded defaults.

The database is migrated and the demo data loaded by ``make run`` before this. Then:
the spaCy pipeline is built if missing, the Rasa model trained if its inputs changed,
the action server (127.0.0.1:5055) and the Rasa server (127.0.0.1:5005; REST, and Slack
and Teams where their settings are set: bot/credentials.py writes var/credentials.yml) started
and waited for; Ctrl-C or SIGTERM stops both. This module imports nothing from Rasa:
it runs Rasa's command line in child processes.

Settings (environment): EHBOT_RASA_PORT (5005), EHBOT_ACTIONS_PORT (5055),
EHBOT_MODEL_DIR (models/), EHBOT_TRACKER_URL (sqlite:///<var>/rasa-tracker.sqlite3:
where Rasa keeps conversations; a PostgreSQL URL works too).
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from bot import config, credentials

ROOT = config.PROJECT_ROOT
MODEL_NAME = "ehbot"
TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "nlp/patterns.jsonl", "nlp/build_pipeline.py")
START_TIMEOUT = float(os.environ.get("EHBOT_START_TIMEOUT", "420"))


def overview() -> str:
    from bot.db.migrate import ensure_migrated
    from bot.db.repositories import CaseRepository
    from bot.db.session import make_engine, session_scope
    from bot.pathways import evaluate
    from bot.render import due_words

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


# --- settings ---------------------------------------------------------------------


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def model_dir() -> Path:
    raw = os.environ.get("EHBOT_MODEL_DIR", "").strip()
    return Path(raw) if raw else ROOT / "models"


def tracker_url() -> str:
    raw = os.environ.get("EHBOT_TRACKER_URL", "").strip()
    return raw or f"sqlite:///{config.var_dir().resolve() / 'rasa-tracker.sqlite3'}"


def _bin(name: str) -> str:
    """A program of this interpreter's environment (the venv's rasa), else from PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def child_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        EHBOT_TRACKER_URL=tracker_url(),
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    env.update(extra)
    return env


# --- the spaCy pipeline and the model -------------------------------------------------


def ensure_spacy_pipeline() -> None:
    """Builds build/spacy-ehbot from nlp/patterns.jsonl unless it is current."""
    subprocess.run([sys.executable, str(ROOT / "nlp" / "build_pipeline.py")], cwd=ROOT, env=child_env(),
                   check=True, stdout=subprocess.DEVNULL)


def inputs_hash(root: Path = ROOT) -> str:
    """A hash of everything training reads: config, domain, data and the entity patterns."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            digest.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def model_path(directory: Optional[Path] = None) -> Path:
    return (directory or model_dir()) / f"{MODEL_NAME}.tar.gz"


def _stamp(directory: Path) -> Path:
    return directory / f"{MODEL_NAME}.inputs.sha256"


def model_is_current(directory: Optional[Path] = None) -> bool:
    directory = directory or model_dir()
    stamp = _stamp(directory)
    return model_path(directory).is_file() and stamp.is_file() and stamp.read_text().strip() == inputs_hash()


def train(directory: Optional[Path] = None, log: Optional[Path] = None, force: bool = False) -> Path:
    """Trains the model into ``directory`` unless it is current; returns the model's path."""
    directory = directory or model_dir()
    # The model loads the spaCy pipeline from build/ by path: it must exist even when
    # the model itself is reused (a fresh checkout, a shared model cache).
    ensure_spacy_pipeline()
    if not force and model_is_current(directory):
        return model_path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wanted = inputs_hash()
    cmd = [_bin("rasa"), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
           "--out", str(directory), "--fixed-model-name", MODEL_NAME]
    log = log or directory / "train.log"
    with open(log, "w") as out:
        done = subprocess.run(cmd, cwd=ROOT, env=child_env(), stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0 or not model_path(directory).is_file():
        raise RuntimeError(f"rasa train failed (exit {done.returncode}); see {log}")
    _stamp(directory).write_text(wanted + "\n")
    return model_path(directory)


# --- the servers ----------------------------------------------------------------------


@dataclass
class Servers:
    """The action server and the Rasa server, as child processes in their own groups."""

    rasa_port: int
    actions_port: int
    log_dir: Path
    extra_env: dict = field(default_factory=dict)  # settings for the children beyond this process's own
    processes: dict = field(default_factory=dict)

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    def start(self, model: Path) -> "Servers":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.start_actions()
        self.start_rasa(model)
        return self

    def start_actions(self) -> None:
        self._spawn("actions", [_bin("rasa"), "run", "actions", "--actions", "actions", "--port", str(self.actions_port)])

    def start_rasa(self, model: Path) -> None:
        """Starts (or, after stop_one("rasa"), restarts) the Rasa server on 127.0.0.1 with the
        channels the environment turns on (bot/credentials.py): no HTTP API, no CORS."""
        self._spawn("rasa", [_bin("rasa"), "run", "--model", str(model), "--interface", "127.0.0.1",
                             "--port", str(self.rasa_port), "--credentials", str(self.credentials_file()),
                             "--endpoints", str(endpoints_file(self.actions_port))])

    def channel_env(self) -> dict:
        return {**os.environ, **self.extra_env}

    def credentials_file(self) -> Path:
        """Writes var/credentials.yml (its secrets as ${VARIABLES}, never their values)."""
        env = self.channel_env()
        return credentials.write(credentials.credentials_path(self.rasa_port, env), env)

    def start_reminders(self) -> None:
        """The reminder worker (``ehbot remind --loop``), posting to the configured channels."""
        self._spawn("reminders", [sys.executable, "-m", "bot.cli", "remind", "--loop"])

    def _spawn(self, name: str, cmd: list) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = child_env(SANIC_HOST="127.0.0.1", **self.extra_env)  # the action server listens on localhost only
        log = open(self.log_dir / f"{name}.log", "a")
        self.processes[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def wait_until_up(self, timeout: float = START_TIMEOUT, stop: Optional[threading.Event] = None) -> None:
        checks = {"actions": f"http://127.0.0.1:{self.actions_port}/health", "rasa": f"http://127.0.0.1:{self.rasa_port}/"}
        waiting = {name: url for name, url in checks.items() if name in self.processes}
        deadline = time.monotonic() + timeout
        while waiting:
            for name, url in list(waiting.items()):
                proc = self.processes[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"the {name} server stopped (exit {proc.returncode}); see {self.log_dir / name}.log")
                if _answers(url):
                    del waiting[name]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{', '.join(waiting)} did not answer within {timeout:.0f}s; see the logs in {self.log_dir}")
            if stop is not None and stop.wait(1.0):
                raise KeyboardInterrupt
            elif stop is None:
                time.sleep(1.0)

    def stop_one(self, name: str, grace: float = 20.0) -> None:
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the child's own process group: it and its workers
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)

    def stop(self) -> None:
        for name in ("reminders", "rasa", "actions"):
            self.stop_one(name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def endpoints_file(actions_port: int) -> Path:
    """endpoints.yml, or a copy under var/ pointing at another action server port."""
    source = ROOT / "endpoints.yml"
    if actions_port == 5055:
        return source
    target = config.var_dir() / f"endpoints-{actions_port}.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source.read_text().replace("http://localhost:5055/webhook", f"http://localhost:{actions_port}/webhook"))
    return target


def start_reminder_worker(servers: Servers) -> str:
    """Starts the worker when a channel is configured; without one there is nowhere to post."""
    from bot.notify.settings import reminder_settings

    settings = reminder_settings()
    if not (settings.slack_token or settings.teams_webhook_url):
        return ("Reminder worker not started: no Slack token or Teams webhook is set. "
                "`ehbot remind --dry-run` shows what it would post; docs/reminders.md shows how to "
                "watch the demo's reminders arrive on fake Slack and Teams servers.")
    servers.start_reminders()
    return f"Reminder worker started (ehbot remind --loop; log in {servers.log_dir / 'reminders.log'})."


def how_to_chat(rasa_port: int) -> str:
    url = "" if rasa_port == 5005 else f" --url http://127.0.0.1:{rasa_port}"
    return "\n".join([
        f"ehbot is listening (REST on http://127.0.0.1:{rasa_port}/webhooks/rest/webhook). In another terminal:",
        f"  .venv/bin/ehbot chat --as sam.sw{url}     # as Sam, a demo social worker (tess.tm: a team manager)",
        f"  .venv/bin/ehbot chat{url}                 # as an unknown user: guidance questions only",
        "Try: \"I've finished a CADS assessment, threshold not met for C-1042\". Ctrl-C here stops ehbot.",
    ])


def run(report: Callable[[str], None] = print) -> int:
    report(overview())
    rasa_port, actions_port = _port("EHBOT_RASA_PORT", 5005), _port("EHBOT_ACTIONS_PORT", 5055)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    servers = Servers(rasa_port, actions_port, config.var_dir() / "logs")
    try:
        ensure_spacy_pipeline()
        if not model_is_current():
            report("\nTraining the Rasa model (its inputs changed; a few minutes)...")
            started = time.monotonic()
            train()
            report(f"trained in {time.monotonic() - started:.0f}s")
        report(f"\nStarting the action server and the Rasa server (about a minute; logs in {servers.log_dir})...")
        servers.start(model_path())
        servers.wait_until_up(stop=stop)
        report("\n" + credentials.summary(rasa_port, servers.channel_env()))
        if any(c.key == "rest" for c in credentials.channels(servers.channel_env())):
            report(how_to_chat(rasa_port))
        report(start_reminder_worker(servers))
        while not stop.wait(1.0):
            for name, proc in servers.processes.items():
                if proc.poll() is not None:
                    report(f"the {name} server stopped (exit {proc.returncode}); see {servers.log_dir / name}.log")
                    return 1
        report("stopping ehbot...")
        return 0
    except KeyboardInterrupt:
        report("stopping ehbot...")
        return 130
    except RuntimeError as exc:
        report(f"ehbot: {exc}")
        return 1
    finally:
        servers.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
