"""``ehbot run``: start the assistant with its embedded defaults.

The database is migrated and the demo data loaded by ``make run`` before this. Then:
the spaCy pipeline is built if missing, the Rasa model trained if its inputs changed,
the action server (127.0.0.1:5055) and the Rasa server (127.0.0.1:5005; REST, and Slack
and Teams where their settings are set: bot/credentials.py writes var/credentials.yml) started
and waited for; Ctrl-C or SIGTERM stops both. This module imports nothing from Rasa:
it runs Rasa's command line in child processes.

Settings (environment): EHBOT_RASA_PORT (5005), EHBOT_ACTIONS_PORT (5055),
EHBOT_MODEL_DIR (models/), EHBOT_TRACKER_URL (sqlite:///<var>/rasa-tracker.sqlite3:
where Rasa keeps conversations; a PostgreSQL URL works too). Who may reach the two
servers (interfaces, Rasa's HTTP API, tokens) is decided by ``exposure()`` below and
refused at start when unsafe; README "Security".
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional

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
    return config.tracker_url()


# --- who may reach the servers ------------------------------------------------------

ON, OFF = {"on", "true", "1", "yes"}, {"off", "false", "0", "no", ""}
LOCAL_DEVELOPMENT = "local-development"  # the one value of EHBOT_RASA_API_NO_TOKEN that allows it
TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{16,}")  # safe in a query string and a header, hard to guess
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class RefusedToStart(RuntimeError):
    """A setting would let someone reach a server they should not; the message says what to set."""


@dataclass(frozen=True)
class Exposure:
    """Where the servers listen and what guards them. Holds whether a token is set, never its value."""

    rasa_interface: str = "127.0.0.1"
    rasa_api: bool = False
    rasa_token: bool = False
    api_without_token: bool = False  # EHBOT_RASA_API_NO_TOKEN=local-development
    actions_interface: str = "127.0.0.1"
    actions_token: bool = False
    rest: bool = True
    log_level: str = "INFO"


def is_local(interface: str) -> bool:
    """Only this machine can connect: a loopback address, or localhost."""
    if interface.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(interface.strip()).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def reachable_host(interface: str) -> str:
    """The host, as written in a URL, to reach a server listening on ``interface`` from this machine."""
    if interface in ("0.0.0.0", "::", "", "localhost"):
        return "127.0.0.1"
    return f"[{interface}]" if ":" in interface else interface


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ON:
        return True
    if raw in OFF:
        return False
    raise RefusedToStart(f"{name} is {raw!r}: set it to on or off.")


def _token_set(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name) or ""
    if not value:
        return False
    if not TOKEN.fullmatch(value):
        raise RefusedToStart(
            f"{name} must be at least 16 characters of letters, digits and . _ ~ + / = - "
            f"(for example: python3 -c 'import secrets; print(secrets.token_urlsafe(32))').")
    return True


def exposure(env: Optional[Mapping[str, str]] = None) -> Exposure:
    """The settings from the environment, refused (RefusedToStart) when they would expose ehbot:

    - Rasa's HTTP API (EHBOT_RASA_API=on) needs EHBOT_RASA_TOKEN, except on a local interface
      with EHBOT_RASA_API_NO_TOKEN=local-development;
    - the action server on a non-local interface needs EHBOT_ACTIONS_TOKEN;
    - the REST channel trusts the sender id it is sent, so it is refused on a non-local interface.
    """
    env = os.environ if env is None else env
    no_token = (env.get("EHBOT_RASA_API_NO_TOKEN") or "").strip()
    if no_token and no_token != LOCAL_DEVELOPMENT:
        raise RefusedToStart(f"EHBOT_RASA_API_NO_TOKEN is {no_token!r}: the only value it takes is {LOCAL_DEVELOPMENT}.")
    level = (env.get("EHBOT_LOG_LEVEL") or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise RefusedToStart(f"EHBOT_LOG_LEVEL is {level!r}: one of {', '.join(LOG_LEVELS)}.")
    found = Exposure(
        rasa_interface=(env.get("EHBOT_RASA_INTERFACE") or "").strip() or "127.0.0.1",
        rasa_api=_switch(env, "EHBOT_RASA_API", False),
        rasa_token=_token_set(env, "EHBOT_RASA_TOKEN"),
        api_without_token=no_token == LOCAL_DEVELOPMENT,
        actions_interface=(env.get("EHBOT_ACTIONS_INTERFACE") or "").strip() or "127.0.0.1",
        actions_token=_token_set(env, "EHBOT_ACTIONS_TOKEN"),
        rest=_switch(env, "EHBOT_REST_CHANNEL", True),
        log_level=level,
    )
    if found.rasa_api and not found.rasa_token:
        if not is_local(found.rasa_interface):
            raise RefusedToStart(
                f"Rasa's HTTP API is on (EHBOT_RASA_API=on) and Rasa listens on {found.rasa_interface}, "
                "but EHBOT_RASA_TOKEN is not set: anyone who can reach it could replace the model or read "
                "conversations. Set EHBOT_RASA_TOKEN, or turn the API off.")
        if not found.api_without_token:
            raise RefusedToStart(
                "Rasa's HTTP API is on (EHBOT_RASA_API=on) but EHBOT_RASA_TOKEN is not set. Set a token, "
                f"or, for local development on this machine only, EHBOT_RASA_API_NO_TOKEN={LOCAL_DEVELOPMENT}.")
    if not is_local(found.actions_interface) and not found.actions_token:
        raise RefusedToStart(
            f"The action server would listen on {found.actions_interface} (EHBOT_ACTIONS_INTERFACE) without "
            "EHBOT_ACTIONS_TOKEN: anyone who can reach it could run actions as any practitioner. "
            "Set EHBOT_ACTIONS_TOKEN, or listen on 127.0.0.1.")
    if found.rest and not is_local(found.rasa_interface):
        raise RefusedToStart(
            f"The REST channel is on and Rasa would listen on {found.rasa_interface} (EHBOT_RASA_INTERFACE): "
            "REST believes whatever sender id it is sent, so anyone who can reach it could act as any "
            "practitioner. Set EHBOT_REST_CHANNEL=off, or listen on 127.0.0.1.")
    return found


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
        return f"http://{reachable_host(self.exposure().rasa_interface)}:{self.rasa_port}/webhooks/rest/webhook"

    def start(self, model: Path) -> "Servers":
        self.exposure()  # refuse before starting either server
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.start_actions()
        self.start_rasa(model)
        return self

    def exposure(self) -> Exposure:
        return exposure(self.channel_env())

    def actions_command(self) -> list:
        """Our action server (ehbot_channels/action_server.py): on EHBOT_ACTIONS_INTERFACE (127.0.0.1),
        checking EHBOT_ACTIONS_TOKEN when set; the token reaches it through the environment only."""
        settings = self.exposure()
        return [sys.executable, "-m", "ehbot_channels.action_server", "--actions", "actions",
                "--interface", settings.actions_interface, "--port", str(self.actions_port)]

    def rasa_command(self, model: Path) -> list:
        """The Rasa server on EHBOT_RASA_INTERFACE (127.0.0.1) with the channels the environment turns
        on (bot/credentials.py), no CORS, and the HTTP API only with EHBOT_RASA_API=on. Started through
        ehbot_channels/rasa_server.py, which hands Rasa EHBOT_RASA_TOKEN from the environment, so the
        token is on no command line and in no file."""
        settings = self.exposure()
        cmd = [sys.executable, "-m", "ehbot_channels.rasa_server", "run", "--model", str(model),
               "--interface", settings.rasa_interface, "--port", str(self.rasa_port),
               "--credentials", str(self.credentials_file()),
               "--endpoints", str(with_lock_store(
                   endpoints_file(self.actions_port, actions_token=settings.actions_token,
                                  actions_host=reachable_host(settings.actions_interface)),
                   self.channel_env()))]
        return cmd + (["--enable-api"] if settings.rasa_api else [])

    def start_actions(self) -> None:
        self._spawn("actions", self.actions_command())

    def start_rasa(self, model: Path) -> None:
        """Starts (or, after stop_one("rasa"), restarts) the Rasa server."""
        self._spawn("rasa", self.rasa_command(model))

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
        # Rasa and the SDK log what practitioners type at DEBUG: the servers run at INFO unless
        # EHBOT_LOG_LEVEL says otherwise (an inherited LOG_LEVEL is not enough), libraries at ERROR.
        level = self.exposure().log_level
        env = child_env(**{**self.extra_env, "LOG_LEVEL": level, "LOG_LEVEL_LIBRARIES": "ERROR"})
        log = open(self.log_dir / f"{name}.log", "a")
        self.processes[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def wait_until_up(self, timeout: float = START_TIMEOUT, stop: Optional[threading.Event] = None) -> None:
        settings = self.exposure()
        checks = {"actions": f"http://{reachable_host(settings.actions_interface)}:{self.actions_port}/health",
                  "rasa": f"http://{reachable_host(settings.rasa_interface)}:{self.rasa_port}/"}
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


ACTION_URL = "http://localhost:5055/webhook"
# Rasa expands ${EHBOT_ACTIONS_TOKEN} from its environment when it reads the file: the value is
# never written. A header, not Rasa's `token:` (a query parameter, which ends up in access logs).
ACTION_TOKEN_HEADER = "  headers:\n    Authorization: Bearer ${EHBOT_ACTIONS_TOKEN}\n"


def endpoints_file(actions_port: int, actions_token: bool = False, actions_host: str = "127.0.0.1") -> Path:
    """endpoints.yml, or a copy under var/ pointing at another action server port or host (one
    listening on a single non-local address) and, with ``actions_token``, sending
    EHBOT_ACTIONS_TOKEN to the action server."""
    source = ROOT / "endpoints.yml"
    host = "localhost" if is_local(actions_host.strip("[]")) else actions_host
    if actions_port == 5055 and not actions_token and host == "localhost":
        return source
    text = source.read_text()
    url_line = f'  url: "{ACTION_URL}"\n'
    if url_line not in text:
        raise RuntimeError(f"endpoints.yml no longer has the line {url_line.strip()!r} this copy is made from")
    url = f"http://{host}:{actions_port}/webhook"
    text = text.replace(url_line, f'  url: "{url}"\n' + (ACTION_TOKEN_HEADER if actions_token else ""))
    suffix = ("" if host == "localhost" else "-" + re.sub(r"[^0-9A-Za-z]+", "_", host)) + ("-token" if actions_token else "")
    target = config.var_dir() / f"endpoints-{actions_port}{suffix}.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


# Rasa's own RedisLockStore issues the same ticket to two processes that ask at once
# (see ehbot_channels/lock_store.py); this one does not.
LOCK_STORE_CLASS = "ehbot_channels.lock_store.AtomicRedisLockStore"


def with_lock_store(endpoints: Path, env: Optional[Mapping[str, str]] = None) -> Path:
    """The endpoints file, plus a Redis lock store when ``EHBOT_LOCK_STORE_URL`` is set.

    With more than one Rasa process (or a load balancer in front), two messages of one
    conversation can reach two processes at once; each process's own lock cannot stop
    both loading the conversation and one losing the other's turn. A lock kept in Redis
    can. ``EHBOT_LOCK_STORE_URL=redis://host:6379/0`` (``rediss://`` for TLS); a password
    goes in ``EHBOT_LOCK_STORE_PASSWORD``, written to the file as a reference Rasa reads
    from its environment, never as its value. Unset: ``endpoints`` unchanged (Rasa's
    in-process lock, enough for one process).
    """
    from urllib.parse import urlsplit

    env = os.environ if env is None else env
    raw = (env.get("EHBOT_LOCK_STORE_URL") or "").strip()
    if not raw:
        return endpoints
    url = urlsplit(raw)
    if url.scheme not in ("redis", "rediss") or not url.hostname:
        raise RuntimeError("EHBOT_LOCK_STORE_URL must look like redis://host:6379/0 (or rediss:// for TLS)")
    if url.password or url.username:
        raise RuntimeError("put the lock store's password in EHBOT_LOCK_STORE_PASSWORD, not in EHBOT_LOCK_STORE_URL")
    db = url.path.strip("/") or "0"
    if not db.isdigit():
        raise RuntimeError(f"EHBOT_LOCK_STORE_URL: the Redis database must be a number, not {db!r}")
    source = endpoints.read_text()
    if re.search(r"^lock_store\s*:", source, re.MULTILINE):
        raise RuntimeError(f"{endpoints} already names a lock store; unset EHBOT_LOCK_STORE_URL or remove it there")
    lines = ["", "# Added from EHBOT_LOCK_STORE_URL: one lock per conversation, shared by every Rasa process.",
             "lock_store:", f"  type: {LOCK_STORE_CLASS}", f"  url: {url.hostname}", f"  port: {url.port or 6379}", f"  db: {db}",
             "  key_prefix: ehbot"]
    if url.scheme == "rediss":
        lines.append("  use_ssl: true")
    if (env.get("EHBOT_LOCK_STORE_PASSWORD") or "").strip():
        lines.append("  password: ${EHBOT_LOCK_STORE_PASSWORD}")
    var = Path(env["EHBOT_VAR_DIR"]) if env.get("EHBOT_VAR_DIR") else config.var_dir()
    target = var / f"{endpoints.stem}-lock-store.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")  # two Rasa processes may write it at once
    tmp.write_text(source.rstrip("\n") + "\n" + "\n".join(lines) + "\n")
    os.replace(tmp, target)
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


def guards(settings: Exposure) -> str:
    """What guards the two servers, for the console (never a token's value)."""
    if not settings.rasa_api:
        api = "Rasa's HTTP API: off."
    elif settings.rasa_token:
        api = "Rasa's HTTP API: on, every request needs EHBOT_RASA_TOKEN."
    else:
        api = f"Rasa's HTTP API: on WITHOUT a token (EHBOT_RASA_API_NO_TOKEN={LOCAL_DEVELOPMENT}): this machine only."
    actions = (f"Action server: {settings.actions_interface}, "
               + ("every request needs EHBOT_ACTIONS_TOKEN." if settings.actions_token else "no token (local only)."))
    return f"{api}\n{actions}"


def how_to_chat(rasa_port: int, host: str = "127.0.0.1") -> str:
    url = "" if (rasa_port, host) == (5005, "127.0.0.1") else f" --url http://{host}:{rasa_port}"
    return "\n".join([
        f"ehbot is listening (REST on http://{host}:{rasa_port}/webhooks/rest/webhook). In another terminal:",
        f"  .venv/bin/ehbot chat --as sam.sw{url}     # as Sam, a demo social worker (tess.tm: a team manager)",
        f"  .venv/bin/ehbot chat{url}                 # as an unknown user: guidance questions only",
        "Try: \"I've finished a CADS assessment, threshold not met for C-1042\". Ctrl-C here stops ehbot.",
    ])


def run(report: Callable[[str], None] = print) -> int:
    rasa_port, actions_port = _port("EHBOT_RASA_PORT", 5005), _port("EHBOT_ACTIONS_PORT", 5055)
    servers = Servers(rasa_port, actions_port, config.var_dir() / "logs")
    try:
        settings = servers.exposure()  # refused before anything else: no minutes of training first
    except RefusedToStart as exc:
        report(f"ehbot: {exc}")
        return 1
    report(overview())
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
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
        report(guards(settings))
        if any(c.key == "rest" for c in credentials.channels(servers.channel_env())):
            report(how_to_chat(rasa_port, reachable_host(settings.rasa_interface)))
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
