"""Chat latency and throughput: ehbot against a bare Rasa bot, both over REST, the same run.

Two servers run side by side on this machine, each started as ``ehbot run`` starts Rasa
(``rasa run`` on 127.0.0.1, no HTTP API, the REST channel):

  bare    benchmarks/bare_bot: one intent, one response, Rasa's default pipeline and
          policies (less UnexpecTED, which ehbot does not use), in-memory tracker store,
          no action server. Trained at run time into a cache under the temp folder.
  ehbot   the demo stack (tests/rasa_support.py demo_stack): the action server and the
          Rasa server over a fresh SQLite demo database and SQL tracker store, the model
          the slow tests use (trained once, cached). Practitioners bench.tm001… (fictional
          team managers of the demo's North team) are imported so that each conversation
          has a sender ehbot knows and who may see the demo cases.

What is measured, after a warm-up on each:

  latency     one client, one turn at a time, in alternating blocks (bare "hello", ehbot
              asking a case's status, ehbot "hello", and two payloads that skip NLU: ehbot
              "/greet" and "/nlu_fallback"; every ehbot turn runs action_respond, which
              checks the sender and the words before it answers), so background load hits
              them all.
              ehbot's status turns run action_respond, which reads the case from the
              database (checked afterwards in the tracker store: the run says how many did).
              p50 and p99 (nearest rank) of the time from sending a turn to its reply.
  throughput  N clients at once (8 unless told), each its own sender, sending as fast as
              replies come, for a fixed time; rounds alternate bare and ehbot. Turns
              answered per second, the first 20% of each round (ramp-up) not counted.
  memory      peak resident memory of each stack's processes and their children (the
              Rasa server; for ehbot also the action server), sampled every 0.25 s.

Each conversation has 10 turns, then the client moves to a new sender, as practitioners'
conversations are short (a tracker that grows without end would measure something else).
Targets (issue 6): p50 at most 1.3× the bare bot's, p99 at most 2×, throughput at least
80% of the bare bot's. Memory has no target; it is printed beside the bare bot's.

    python benchmarks/chat.py              # 400 turns each, 3 rounds of 30 s (about 10 minutes)
    python benchmarks/chat.py --quick      # 100 turns each, 2 rounds of 10 s (about 5 minutes)
    python benchmarks/chat.py --smoke      # a handful of turns: checks that it runs
"""
from __future__ import annotations

import argparse
import csv
import http.client
import itertools
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path.insert(0, str(HERE))

import _rasa  # noqa: E402  (sets the import path for bot/ and tests/)
from _report import Figure, load_average, machine, publish  # noqa: E402

TODAY = "2026-11-23"
REST_PATH = "/webhooks/rest/webhook"
TURNS_PER_CONVERSATION = 10
BENCH_TEAM = "Demo North Team"
# ehbot turns that check the database: each runs action_respond on a demo case.
STATUS_TURNS = ("what's the status of C-1042", "what's left on C-1043?", "where are we with C-1045",
                "status of C-2002", "show me C-1044")
STATUS_ACTION = "action_respond"
HELLO = "hello"
# The same turn without NLU (a payload names the intent), with and without a custom action:
# their difference is what any turn through the action server costs, before the database.
GREET_PAYLOAD, CLARIFY_PAYLOAD = "/greet", "/nlu_fallback"
CLARIFY_ACTION = "action_respond"  # every ehbot turn: the core reads the words and answers
TARGET_P50, TARGET_P99, TARGET_THROUGHPUT = 1.3, 2.0, 0.8


@dataclass
class Sizes:
    warmup: int
    turns: int
    block: int
    clients: int
    seconds: float
    rounds: int
    senders: int


SIZES = {
    "full": Sizes(warmup=30, turns=400, block=20, clients=8, seconds=30, rounds=3, senders=400),
    "quick": Sizes(warmup=10, turns=100, block=10, clients=8, seconds=10, rounds=2, senders=200),
    "smoke": Sizes(warmup=2, turns=6, block=3, clients=2, seconds=2, rounds=1, senders=20),
}


# --- talking to a server -------------------------------------------------------------------


class ChatFailed(RuntimeError):
    pass


class Client:
    """One client: a kept-alive HTTP connection to a server's REST channel."""

    def __init__(self, port: int):
        self.port = port
        self.conn: Optional[http.client.HTTPConnection] = None

    def say(self, sender: str, text: str) -> tuple[float, list]:
        """Sends one turn; returns the seconds until the whole reply was read, and the reply."""
        body = json.dumps({"sender": sender, "message": text}).encode()
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            try:
                started = time.perf_counter()
                self.conn.request("POST", REST_PATH, body, {"Content-Type": "application/json"})
                response = self.conn.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - started
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if reused and attempt == 1:
                    continue  # the server closed an idle kept-alive connection before reading the turn
                raise
            if response.status != 200:
                raise ChatFailed(f"HTTP {response.status} from 127.0.0.1:{self.port}")
            reply = json.loads(data or b"[]")
            if not reply:
                raise ChatFailed(f"no reply from 127.0.0.1:{self.port} to a turn")
            return elapsed, reply
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Senders:
    """Conversations of TURNS_PER_CONVERSATION turns, each with a sender of its own (wrapping
    round the pool when it runs out); safe to share between client threads."""

    def __init__(self, names: list[str]):
        self.names = names
        self.counter = itertools.count()
        self.lock = threading.Lock()

    def conversation(self) -> str:
        with self.lock:
            return self.names[next(self.counter) % len(self.names)]


class Talker:
    """A client's turns to one bot: the sender changes every TURNS_PER_CONVERSATION turns."""

    def __init__(self, port: int, senders: Senders, messages: tuple[str, ...]):
        self.client, self.senders, self.messages = Client(port), senders, itertools.cycle(messages)
        self.sender, self.left = "", 0

    def turn(self) -> float:
        if self.left == 0:
            self.sender, self.left = self.senders.conversation(), TURNS_PER_CONVERSATION
        self.left -= 1
        seconds, _reply = self.client.say(self.sender, next(self.messages))
        return seconds


def percentile(samples: list[float], p: float) -> float:
    """Nearest rank: the smallest sample with at least p% of samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --- the servers ---------------------------------------------------------------------------


@contextmanager
def bare_server(model: Path, logs: Path) -> Iterator[tuple[int, int]]:
    """The bare bot's Rasa server; yields (port, process id). Run from its own directory, so
    Rasa finds no endpoints.yml: in-memory tracker store, no action server."""
    port = _free_port()
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "bare-rasa.log", "w") as log:
        proc = subprocess.Popen(
            [_rasa.ehbot_run._bin("rasa"), "run", "--model", str(model), "--interface", "127.0.0.1",
             "--port", str(port), "--credentials", str(_rasa.BARE / "credentials.yml")],
            cwd=_rasa.BARE, env=_rasa.ehbot_run.child_env(), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
    servers = _rasa.ehbot_run.Servers(port, 0, logs)
    servers.processes["rasa"] = proc  # Servers waits for it and stops it, process group and all
    try:
        servers.wait_until_up(timeout=420)
        yield port, proc.pid
    finally:
        servers.stop()


def _free_port() -> int:
    from rasa_support import free_port

    return free_port()


def import_bench_practitioners(env: dict, count: int, tmp: Path) -> list[str]:
    """Fictional team managers of the demo's North team, through ``ehbot import``."""
    names = [f"bench.tm{i:03d}" for i in range(1, count + 1)]
    path = tmp / "bench-practitioners.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["username", "display_name", "role", "team"])
        for name in names:
            writer.writerow([name, f"Bench Manager {name[-3:]} (fictional)", "team_manager", BENCH_TEAM])
    subprocess.run([sys.executable, "-m", "bot.cli", "import", "practitioners", str(path)], cwd=_rasa.ROOT,
                   env={**os.environ, **env}, check=True, capture_output=True)
    return names


class MemoryWatch:
    """Samples each stack's resident memory every 0.25 s; keeps the peak of each."""

    def __init__(self, stacks: dict[str, list[int]]):
        self.stacks = stacks
        self.peak = {name: 0.0 for name in stacks}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.sample()
            if self.stop.wait(0.25):
                return

    def sample(self) -> None:
        for name, leaders in self.stacks.items():
            self.peak[name] = max(self.peak[name], _rasa.rss_mb(leaders))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.sample()
        return False


# --- the measurements ----------------------------------------------------------------------


def latency(series: dict[str, Callable[[], Talker]], sizes: Sizes, out) -> dict[str, list[float]]:
    """Alternating blocks of single turns to each series; the seconds of each measured turn."""
    talkers = {name: make() for name, make in series.items()}
    for talker in talkers.values():
        for _ in range(sizes.warmup):
            talker.turn()
    samples: dict[str, list[float]] = {name: [] for name in talkers}
    while any(len(s) < sizes.turns for s in samples.values()):
        for name, talker in talkers.items():
            for _ in range(min(sizes.block, sizes.turns - len(samples[name]))):
                samples[name].append(talker.turn())
    for talker in talkers.values():
        talker.client.close()
    out("  latency: " + "; ".join(f"{name} p50 {percentile(s, 50) * 1000:.0f} ms, p99 {percentile(s, 99) * 1000:.0f} ms"
                                  for name, s in samples.items()))
    return samples


def saturate(make: Callable[[], Talker], clients: int, seconds: float) -> dict:
    """``clients`` clients sending turns as fast as replies come for ``seconds``; turns
    answered per second after the ramp-up (the first 20%), and the errors."""
    talkers = [make() for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    done: list[list[float]] = [[] for _ in talkers]
    errors: list[str] = []
    deadline = [0.0]

    def client(i: int) -> None:
        start.wait()
        while time.perf_counter() < deadline[0]:
            try:
                talkers[i].turn()
            except (ChatFailed, OSError, http.client.HTTPException) as exc:
                errors.append(type(exc).__name__)
                talkers[i].client.close()
                continue
            done[i].append(time.perf_counter())
        talkers[i].client.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    counted_from = began + seconds * 0.2
    answered = sum(1 for times in done for t in times if counted_from <= t <= deadline[0])
    return {"turns": answered, "seconds": deadline[0] - counted_from, "errors": errors}


def throughput(bots: dict[str, Callable[[], Talker]], sizes: Sizes, out) -> dict[str, dict]:
    totals = {name: {"turns": 0, "seconds": 0.0, "errors": []} for name in bots}
    for name, make in bots.items():  # a short warm-up at full concurrency, not counted
        saturate(make, sizes.clients, min(3.0, sizes.seconds))
    for round_ in range(1, sizes.rounds + 1):
        for name, make in bots.items():
            got = saturate(make, sizes.clients, sizes.seconds)
            for key in ("turns", "seconds"):
                totals[name][key] += got[key]
            totals[name]["errors"] += got["errors"]
            out(f"  throughput round {round_}, {name}: {got['turns'] / got['seconds']:.1f} turns/s"
                + (f" ({len(got['errors'])} errors)" if got["errors"] else ""))
    for t in totals.values():
        t["rps"] = t["turns"] / t["seconds"] if t["seconds"] else 0.0
    return totals


def actions_run(tracker_url: str, prefix: str = "bench.") -> Counter:
    """For every turn the bench senders sent ehbot: (message, the first action it ran),
    read from ehbot's tracker store."""
    path = tracker_url.split("sqlite:///", 1)[1]
    tally: Counter = Counter()
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT type_name, action_name, data FROM events WHERE sender_id LIKE ? "
                            "ORDER BY sender_id, id", (prefix + "%",)).fetchall()
    pending = None
    for kind, action, data in rows:
        if kind == "user":
            pending = json.loads(data).get("text")
        elif kind == "action" and pending is not None and action not in ("action_listen", "action_session_start"):
            tally[(pending, action)] += 1
            pending = None
    return tally


# --- the run -------------------------------------------------------------------------------


def run(sizes: Sizes, mode: str, results_dir: Optional[Path], out=print) -> list[Figure]:
    title = "Chat latency and throughput (issue 6): ehbot against a bare Rasa bot, both over REST, the same run"
    header = machine() + [f"load average at start: {load_average()}"]
    out(title)
    for line in header:
        out(line)
    out(f"sizes ({mode}): warm-up {sizes.warmup} turns each; latency {sizes.turns} turns each, one client, "
        f"alternating blocks of {sizes.block}; throughput {sizes.clients} clients (each its own sender), "
        f"{sizes.rounds} round(s) of {sizes.seconds:g} s each, alternating; {TURNS_PER_CONVERSATION} turns per "
        f"conversation; clock EHBOT_TODAY={TODAY}")
    bare_model, trained = _rasa.train_bare()
    out(f"  bare bot model: {bare_model}" + (f" (trained in {trained:.0f}s)" if trained else " (cached)"))
    ehbot_model = _rasa.ehbot_model()
    out(f"  ehbot model: {ehbot_model} (the slow tests' cache)")
    from rasa_support import demo_stack

    with tempfile.TemporaryDirectory(prefix="ehbot-bench-chat-") as tmp_name:
        tmp = Path(tmp_name)
        with bare_server(bare_model, tmp / "logs") as (bare_port, bare_pid), \
                demo_stack(tmp, TODAY) as (servers, env):
            names = import_bench_practitioners(env, sizes.senders, tmp)
            stacks = {"bare": [bare_pid], "ehbot": [p.pid for p in servers.processes.values()]}
            idle = {name: _rasa.rss_mb(leaders) for name, leaders in stacks.items()}
            out(f"  servers up; memory before any turn: bare {idle['bare']:.0f} MB, ehbot {idle['ehbot']:.0f} MB")
            bare_senders = Senders([f"bench-bare-{i:03d}" for i in range(1, sizes.senders + 1)])
            ehbot_senders = Senders(names)
            make_bare = lambda: Talker(bare_port, bare_senders, (HELLO,))  # noqa: E731
            make_status = lambda: Talker(servers.rasa_port, ehbot_senders, STATUS_TURNS)  # noqa: E731
            make_hello = lambda: Talker(servers.rasa_port, ehbot_senders, (HELLO,))  # noqa: E731
            make_greet = lambda: Talker(servers.rasa_port, ehbot_senders, (GREET_PAYLOAD,))  # noqa: E731
            make_clarify = lambda: Talker(servers.rasa_port, ehbot_senders, (CLARIFY_PAYLOAD,))  # noqa: E731
            with MemoryWatch(stacks) as memory:
                lat = latency({"bare hello": make_bare, "ehbot status": make_status, "ehbot hello": make_hello,
                               "ehbot /greet": make_greet, "ehbot /nlu_fallback": make_clarify}, sizes, out)
                thr = throughput({"bare hello": make_bare, "ehbot status": make_status}, sizes, out)
            hwm = {name: _rasa.hwm_mb(leaders) for name, leaders in stacks.items()}
            ran = actions_run(env["EHBOT_TRACKER_URL"])
    status_ran, hello_ran, greet_ran, clarify_ran = Counter(), Counter(), Counter(), Counter()
    for (text, action), n in ran.items():
        if text in STATUS_TURNS:
            status_ran[action] += n
        elif text == HELLO:
            hello_ran[action] += n
        elif text == GREET_PAYLOAD:
            greet_ran[action] += n
        elif text == CLARIFY_PAYLOAD:
            clarify_ran[action] += n
    end_load = load_average()
    header.append(f"load average at end: {end_load}")

    bare, status, hello, greet, clarify = (lat[k] for k in ("bare hello", "ehbot status", "ehbot hello",
                                                           "ehbot /greet", "ehbot /nlu_fallback"))
    ms = lambda s, p: percentile(s, p) * 1000  # noqa: E731
    figures = [
        Figure("p50 per turn", "ms", ms(status, 50), ms(bare, 50), "bare Rasa", TARGET_P50),
        Figure("p99 per turn", "ms", ms(status, 99), ms(bare, 99), "bare Rasa", TARGET_P99),
        Figure(f"throughput, {sizes.clients} clients", "turns/s", thr["ehbot status"]["rps"],
               thr["bare hello"]["rps"], "bare Rasa", TARGET_THROUGHPUT, at_least=True),
        Figure("peak memory, whole stack", "MB", memory.peak["ehbot"], memory.peak["bare"], "bare Rasa"),
        Figure("p50 per turn, ehbot 'hello' (action_respond, no case)", "ms", ms(hello, 50), ms(bare, 50), "bare Rasa"),
        Figure("p99 per turn, ehbot 'hello' (action_respond, no case)", "ms", ms(hello, 99), ms(bare, 99), "bare Rasa"),
        Figure("p50 per turn, ehbot '/greet' payload (no NLU, action_respond)", "ms", ms(greet, 50),
               ms(bare, 50), "bare Rasa"),
    ]
    checked = sum(status_ran.values())
    notes = [
        f"ehbot's status turns ran {STATUS_ACTION} (reads the case from the database) in "
        f"{status_ran.get(STATUS_ACTION, 0)} of {checked} turns (from the tracker store)"
        + (f"; others: {dict((a, n) for a, n in status_ran.items() if a != STATUS_ACTION)}"
           if len(status_ran) > 1 else ""),
        f"ehbot's 'hello' turns ran {dict(hello_ran)}; '{GREET_PAYLOAD}' turns ran {dict(greet_ran)}; "
        f"'{CLARIFY_PAYLOAD}' turns ran {dict(clarify_ran)}",
        f"the status turn's case work and reply on top of a 'hello' (both through {CLARIFY_ACTION}): "
        f"{ms(status, 50) - ms(hello, 50):.0f} ms at the p50; '{CLARIFY_PAYLOAD}' p50 {ms(clarify, 50):.0f} ms",
        f"throughput errors: bare {len(thr['bare hello']['errors'])}, ehbot {len(thr['ehbot status']['errors'])}",
        f"memory: sampled peak RSS of each stack's processes (ehbot: Rasa server + action server and children); "
        f"sum of each process's own peak (VmHWM): bare {hwm['bare']:.0f} MB, ehbot {hwm['ehbot']:.0f} MB; "
        f"before any turn: bare {idle['bare']:.0f} MB, ehbot {idle['ehbot']:.0f} MB",
        "bare: benchmarks/bare_bot (Rasa's default pipeline and policies less UnexpecTED, in-memory tracker "
        "store, no action server); ehbot: the demo stack (SQLite case database and tracker store, action server)",
    ]
    publish(out, "chat", title, figures, header + [f"sizes: {mode}"], notes, end_load, results_dir)
    return figures


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="100 turns each, 2 rounds of 10 s")
    mode.add_argument("--smoke", action="store_true", help="a handful of turns: checks that it runs")
    parser.add_argument("--clients", type=int, help="concurrent clients for throughput (default 8)")
    parser.add_argument("--results", type=Path, help="where to write chat.json (default benchmarks/results)")
    args = parser.parse_args(argv)
    name = "smoke" if args.smoke else "quick" if args.quick else "full"
    sizes = SIZES[name]
    if args.clients:
        if args.clients < 1:
            parser.error("--clients is a positive number")
        sizes.clients = args.clients
    run(sizes, name, args.results, out=lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
