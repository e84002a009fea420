"""Through a real broker and database: concurrent kiosks, replayed request ids, two hub processes at once,
and a hub killed with SIGKILL in the middle of a burst."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, select, update

from benchmarks.harness import ScriptedKiosk
from hub.db.models import Polyclinic, Queue
from protocol import DisplayState, TicketReply, Topics
from tests.conftest import HubHandle
from tests.support import Recorder, wait_until

pytestmark = pytest.mark.slow  # bursts against real hub processes

KIOSKS = 10
PER_KIOSK = 100


def _raise_quotas(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(update(Polyclinic).values(quota_per_day=5000))
    engine.dispose()


def _tickets(database_url: str) -> list[tuple[str, str, int, str | None]]:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        query = select(Queue.queue_number, Queue.queue_prefix, Queue.queue_seq, Queue.request_id)
        rows = conn.execute(query).all()
    engine.dispose()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _assert_unique_and_gapless(rows: list[tuple[str, str, int, str | None]]) -> None:
    numbers = [r[0] for r in rows]
    assert len(numbers) == len(set(numbers)), "duplicate ticket numbers"
    by_prefix: dict[str, list[int]] = {}
    for _number, prefix, seq, _rid in rows:
        by_prefix.setdefault(prefix, []).append(seq)
    for prefix, seqs in by_prefix.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"gap in {prefix}"


def _burst(
    url: str,
    site: str,
    replies: dict[str, TicketReply],
    errors: list[BaseException],
    prefix: str = "r",
    timeout: float = 2.0,
) -> list[threading.Thread]:
    lock = threading.Lock()

    def kiosk(index: int) -> None:
        client = ScriptedKiosk(url, site, f"kiosk-{index}")
        try:
            for i in range(PER_KIOSK):
                request_id = f"{prefix}{index}-{i}"
                category = "prioritas" if i % 4 == 0 else "umum"
                poly = "ABCDE"[i % 5]
                reply = client.take(request_id, category, poly, replay=i % 7 == 0, timeout=timeout)
                with lock:
                    replies[f"kiosk-{index}/{request_id}"] = reply
        except BaseException as error:
            errors.append(error)
        finally:
            client.close()

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(KIOSKS)]
    for thread in threads:
        thread.start()
    return threads


def test_concurrent_kiosks_two_hubs_replayed_ids(
    hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str, database_url: str
) -> None:
    hub_runner(node_id="hub-a")
    hub_runner(node_id="hub-b")  # a second process on the same database and broker
    _raise_quotas(database_url)
    replies: dict[str, TicketReply] = {}
    errors: list[BaseException] = []
    for thread in _burst(mqtt_url, site, replies, errors):
        thread.join(300)
    assert not errors, errors[:3]
    assert len(replies) == KIOSKS * PER_KIOSK
    assert all(r.ok and r.ticket for r in replies.values())
    numbers = [r.ticket.number for r in replies.values() if r.ticket]
    assert len(set(numbers)) == len(numbers), "two requests got the same number"
    rows = _tickets(database_url)
    assert len(rows) == KIOSKS * PER_KIOSK, "lost or duplicated tickets"
    _assert_unique_and_gapless(rows)
    assert sorted(r[0] for r in rows) == sorted(numbers)


def test_kill_9_in_the_middle_of_a_burst(
    hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str, database_url: str
) -> None:
    hub = hub_runner()
    _raise_quotas(database_url)
    topics = Topics(site)
    replies: dict[str, TicketReply] = {}
    errors: list[BaseException] = []
    threads = _burst(mqtt_url, site, replies, errors, prefix="k", timeout=1.0)
    wait_until(lambda: len(replies) >= 150, timeout=60)
    hub.kill()
    killed_at = len(replies)
    time.sleep(0.5)
    recorder = Recorder(mqtt_url, topics.display_state())
    recorder.clear()
    hub.start()
    restarted = time.monotonic()

    def fresh_state() -> DisplayState | None:
        for message in recorder.on(topics.display_state()):
            state = DisplayState.decode(message.payload)
            if message.at >= restarted:
                return state
        return None

    wait_until(fresh_state, timeout=2.0)  # retained state republished within 2 s of the restart
    for thread in threads:
        thread.join(300)
    assert not errors, errors[:3]
    assert killed_at < KIOSKS * PER_KIOSK
    assert len(replies) == KIOSKS * PER_KIOSK
    rows = _tickets(database_url)
    assert len(rows) == KIOSKS * PER_KIOSK, "a ticket was lost or issued twice across the crash"
    _assert_unique_and_gapless(rows)
    assert {r.ticket.number for r in replies.values() if r.ticket} == {r[0] for r in rows}
    hub.stop()
    final = Recorder(mqtt_url, topics.display_state())
    hub.start()
    state = wait_until(lambda: complete_state(final, topics))
    assert isinstance(state, DisplayState) and state.totals.issued == KIOSKS * PER_KIOSK
    recorder.close()
    final.close()


def complete_state(recorder: Recorder, topics: Topics) -> DisplayState | None:
    messages = recorder.on(topics.display_state())
    if not messages:
        return None
    state = DisplayState.decode(messages[-1].payload)
    return state if state.totals.issued == KIOSKS * PER_KIOSK else None
