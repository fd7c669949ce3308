"""The Redis lock store that keeps one conversation's turns one at a time across Rasa processes.

Fast: ``ehbot run`` names it in the endpoints file only when ``EHBOT_LOCK_STORE_URL`` is
set, and Rasa's own reader and factory build it from there (no Redis needed).

Against a real Redis (EHBOT_TEST_REDIS_URL, else 127.0.0.1:6379/0; skipped with the reason
when none answers): tickets asked for at the same moment by two processes are all
different, a change made by another process between our read and our write is not lost,
and two processes never hold one conversation's lock at once. Rasa 3.6's own
RedisLockStore fails the first and the last (ehbot_channels/lock_store.py says why).
"""
from __future__ import annotations

import asyncio
import multiprocessing
import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot import run as ehbot_run

# ---- the lock store in the endpoints file (fast) ---------------------------------------------


def lock_store_of(path: Path):
    from rasa.utils.endpoints import read_endpoint_config

    return read_endpoint_config(str(path), "lock_store")


@pytest.fixture
def rasa_can_read_the_endpoints(monkeypatch):
    """Rasa refuses an endpoints file naming a variable it cannot expand."""
    monkeypatch.setenv("EHBOT_TRACKER_URL", "sqlite://")


@pytest.mark.usefixtures("rasa_can_read_the_endpoints")
def test_no_lock_store_url_leaves_the_endpoints_file_alone(tmp_path):
    source = ehbot_run.endpoints_file(5055)
    assert ehbot_run.with_lock_store(source, {"EHBOT_VAR_DIR": str(tmp_path)}) == source
    assert lock_store_of(source) is None  # Rasa's in-process lock: enough for one process


@pytest.mark.usefixtures("rasa_can_read_the_endpoints")
def test_the_atomic_redis_lock_store_is_added_to_the_endpoints_rasa_reads(tmp_path):
    from rasa.core.lock_store import LockStore

    from ehbot_channels.lock_store import AtomicRedisLockStore

    source = ehbot_run.endpoints_file(5055)
    env = {"EHBOT_VAR_DIR": str(tmp_path), "EHBOT_LOCK_STORE_URL": "redis://redis.internal:6380/2"}
    path = ehbot_run.with_lock_store(source, env)
    assert path.parent == tmp_path and path != source
    config = lock_store_of(path)
    assert (config.type, config.url) == ("ehbot_channels.lock_store.AtomicRedisLockStore", "redis.internal")
    assert config.kwargs == {"port": 6380, "db": 2, "key_prefix": "ehbot"}
    store = LockStore.create(config)  # Rasa's own factory; Redis is not contacted until a message comes
    assert type(store) is AtomicRedisLockStore
    where = store.red.connection_pool.connection_kwargs
    assert (where["host"], where["port"], where["db"]) == ("redis.internal", 6380, 2)
    assert store.key_prefix == "ehbot:lock:"
    # Everything else is as it was: the action server, the tracker store.
    from rasa.utils.endpoints import read_endpoint_config

    assert read_endpoint_config(str(path), "action_endpoint").url == read_endpoint_config(str(source), "action_endpoint").url
    assert read_endpoint_config(str(path), "tracker_store").type == read_endpoint_config(str(source), "tracker_store").type


@pytest.mark.usefixtures("rasa_can_read_the_endpoints")
def test_the_lock_store_password_is_read_from_the_environment_never_written(tmp_path, monkeypatch):
    env = {"EHBOT_VAR_DIR": str(tmp_path), "EHBOT_LOCK_STORE_URL": "rediss://cache.example:6379",
           "EHBOT_LOCK_STORE_PASSWORD": "lock-secret-8Hn3"}
    path = ehbot_run.with_lock_store(ehbot_run.endpoints_file(5055), env)
    assert "lock-secret-8Hn3" not in path.read_text()
    monkeypatch.setenv("EHBOT_LOCK_STORE_PASSWORD", "lock-secret-8Hn3")
    config = lock_store_of(path)
    assert config.kwargs == {"port": 6379, "db": 0, "key_prefix": "ehbot", "use_ssl": True, "password": "lock-secret-8Hn3"}


@pytest.mark.parametrize("url", ["redis://:pw@127.0.0.1:6379/0", "redis://user:pw@127.0.0.1/0",
                                 "http://127.0.0.1:6379", "redis://127.0.0.1:6379/locks", "127.0.0.1:6379"])
def test_a_lock_store_url_that_is_not_a_plain_redis_url_is_refused(tmp_path, url):
    with pytest.raises(RuntimeError, match="EHBOT_LOCK_STORE"):
        ehbot_run.with_lock_store(ehbot_run.endpoints_file(5055), {"EHBOT_VAR_DIR": str(tmp_path), "EHBOT_LOCK_STORE_URL": url})


@pytest.mark.usefixtures("rasa_can_read_the_endpoints")
def test_the_rasa_server_is_started_with_the_lock_store(tmp_path, monkeypatch):
    monkeypatch.setenv("EHBOT_VAR_DIR", str(tmp_path))
    servers = ehbot_run.Servers(5999, 5998, tmp_path / "logs", extra_env={"EHBOT_LOCK_STORE_URL": "redis://127.0.0.1:6379/3"})
    started = []
    monkeypatch.setattr(servers, "_spawn", lambda name, cmd: started.append((name, cmd)))
    servers.start_rasa(tmp_path / "model.tar.gz")
    [(name, cmd)] = started
    endpoints = Path(cmd[cmd.index("--endpoints") + 1])
    assert name == "rasa" and lock_store_of(endpoints).kwargs["db"] == 3
    assert "localhost:5998" in endpoints.read_text()  # still this stack's action server


# ---- against a real Redis ---------------------------------------------------------------------

PROCESSES, THREADS = 2, 8


def open_store(url: str, prefix: str):
    from ehbot_channels.lock_store import AtomicRedisLockStore

    where = urlsplit(url)
    return AtomicRedisLockStore(host=where.hostname, port=where.port or 6379, db=int(where.path.strip("/") or 0),
                                key_prefix=prefix, socket_timeout=10)


@pytest.fixture
def redis_place(redis_url):
    """(url, key prefix): a prefix of this test's own, its keys deleted afterwards."""
    import redis

    prefix = "ehbottest" + uuid.uuid4().hex[:10]  # Rasa wants it alphanumeric
    yield redis_url, prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def _run_threads(threads: int, work) -> list:
    found, errors = [], []

    def run(i: int) -> None:
        try:
            found.append(work(i))
        except BaseException as exc:  # reported to the parent, never lost with the thread
            errors.append(repr(exc))

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return found + [("error", e) for e in errors]


def take_tickets_at_once(url: str, prefix: str, conversation: str, barrier, results) -> None:
    """One Rasa process: THREADS stores (THREADS connections), each taking a ticket at the barrier."""
    stores = [open_store(url, prefix) for _ in range(THREADS)]

    def take(i: int) -> int:
        barrier.wait(timeout=60)
        return stores[i].issue_ticket(conversation, 600)

    results.put(_run_threads(THREADS, take))


def hold_the_lock_in_turn(url: str, prefix: str, conversation: str, rounds: int, barrier, results) -> None:
    """One Rasa process: THREADS turns at a time, each taking the conversation's lock ``rounds`` times."""
    import redis

    counter = redis.Redis.from_url(url)
    inside, most = f"{prefix}:inside", f"{prefix}:most-inside"

    def turns(i: int) -> int:
        store = open_store(url, prefix)

        async def run() -> int:
            done = 0
            for _ in range(rounds):
                async with store.lock(conversation, lock_lifetime=600, wait_time_in_seconds=0.01):
                    now = counter.incr(inside)
                    counter.eval("if tonumber(redis.call('get', KEYS[1]) or 0) < tonumber(ARGV[1]) then "
                                 "redis.call('set', KEYS[1], ARGV[1]) end", 1, most, now)
                    await asyncio.sleep(0.003)  # a turn takes a while: long enough to overlap if it could
                    counter.decr(inside)
                    done += 1
            return done

        barrier.wait(timeout=60)
        return asyncio.run(run())

    results.put(_run_threads(THREADS, turns))


def in_processes(target, *args) -> list:
    """Run ``target`` in PROCESSES fresh Python processes at once; everything they returned."""
    context = multiprocessing.get_context("spawn")  # nothing of this process (Rasa, TensorFlow) carried over
    barrier, results = context.Barrier(PROCESSES * THREADS), context.Queue()
    processes = [context.Process(target=target, args=(*args, barrier, results)) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    try:
        found = [item for _ in processes for item in results.get(timeout=300)]  # stuck turns fail here
        for process in processes:
            process.join(timeout=60)
            assert process.exitcode == 0
        return found
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()


def test_tickets_taken_at_once_by_two_processes_are_all_different(redis_place):
    url, prefix = redis_place
    tickets = in_processes(take_tickets_at_once, url, prefix, "sam.sw")
    assert sorted(tickets) == list(range(PROCESSES * THREADS))  # Rasa's own store hands out duplicates here
    lock = open_store(url, prefix).get_lock("sam.sw")
    assert sorted(t.number for t in lock.tickets) == list(range(PROCESSES * THREADS))  # none overwritten


def test_two_processes_never_hold_one_conversation_at_once(redis_place):
    import redis

    url, prefix = redis_place
    rounds = 3
    done = in_processes(hold_the_lock_in_turn, url, prefix, "tess.tm", rounds)
    assert done == [rounds] * (PROCESSES * THREADS)  # every turn ran: no LockError, no lock deleted under a waiter
    client = redis.Redis.from_url(url)
    assert int(client.get(f"{prefix}:most-inside")) == 1
    assert open_store(url, prefix).get_lock("tess.tm") is None  # the last turn out tidied the lock away


def test_a_ticket_taken_by_another_process_between_our_read_and_write_is_kept(redis_place):
    """Made to happen every time: the other process takes its ticket inside our first attempt."""
    from ehbot_channels.lock_store import AtomicRedisLockStore

    url, prefix = redis_place
    other = open_store(url, prefix)
    attempts = []

    class Interrupted(AtomicRedisLockStore):
        def create_lock(self, conversation_id):
            attempts.append(conversation_id)
            if len(attempts) == 1:  # after our read, before our write
                assert other.issue_ticket(conversation_id, 600) == 0
            return super().create_lock(conversation_id)

    ours = open_store(url, prefix)
    ours.__class__ = Interrupted
    assert ours.issue_ticket("sam.sw", 600) == 1  # read again and took the next one
    assert len(attempts) == 1  # the second attempt found the other's lock, so created none
    assert [t.number for t in other.get_lock("sam.sw").tickets] == [0, 1]

    given_back = ours.issue_ticket("sam.sw", 600)
    ours.finish_serving("sam.sw", given_back)
    ours.issue_ticket("sam.sw", -1)  # a ticket whose time ran out: the next update drops it
    ours.update_lock("sam.sw")
    assert [t.number for t in other.get_lock("sam.sw").tickets] == [0, 1]

    ours.cleanup("sam.sw", 1)
    assert [t.number for t in other.get_lock("sam.sw").tickets] == [0]  # the other's turn is still queued
    other.cleanup("sam.sw", 0)
    assert other.get_lock("sam.sw") is None
