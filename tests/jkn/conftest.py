"""The Antrean FKTP web service on a real socket, over a real database, and the simulator's Mobile JKN."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from werkzeug.serving import make_server

from hub.bpjs.service import BpjsBridge
from hub.bpjs.simstate import DEMO_CREDENTIALS
from hub.config import BpjsSettings, JknConfig
from hub.db.models import Patient
from hub.dispatch.outcome import Outcome
from hub.followers import QueueTail
from hub.jkn.antrean import JknAntrean
from hub.jkn.sender import JknSender
from hub.jkn.sim import JknSimState, JknSimulator, MobileJkn, demo_state
from hub.jkn.tokens import TokenIssuer
from hub.jkn.tracker import JknTracker
from hub.jkn.ws import JknWebService, jkn_blueprint
from hub.web.passwords import hash_password, set_cost
from tests.hub.dispatch_support import Desk

set_cost(time_cost=1, memory_kib=1024)
CARD = "0001234567890"
NIK = "3509120912780001"
PASSWORD = "Rahasia#BPJS1"


@dataclass
class Now:
    t: float = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@dataclass
class Site:
    desk: Desk
    mobile: MobileJkn
    sim: JknSimState
    now: Now
    published: list[Outcome] = field(default_factory=list)

    def add_patient(self, card: str = CARD, nik: str = NIK, phone: str | None = "081234567890") -> int:
        with self.desk.sessions.begin() as session:
            patient = Patient(
                medical_record=f"RM{card[-6:]}",
                name="Budi",
                name_search="budi",
                nik=nik,
                bpjs_number=card,
                phone=phone,
            )
            session.add(patient)
            session.flush()
            return patient.id


@pytest.fixture
def pkm(database_url: str) -> Iterator[Site]:
    desk = Desk(database_url)
    config = JknConfig(ws_username="bpjs", ws_password=hash_password(PASSWORD))
    now = Now()
    published: list[Outcome] = []
    service = JknWebService(
        JknAntrean(desk.sessions, desk.dispatcher, days_ahead=config.days_ahead),
        config,
        TokenIssuer(b"test-key", ttl_s=config.token_ttl_s, clock=now),
        published.append,
    )
    app = Flask("public-test")
    app.register_blueprint(jkn_blueprint(service), url_prefix=config.ws_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state = demo_state()
    mobile = MobileJkn(f"http://127.0.0.1:{server.server_port}/jkn", "bpjs", PASSWORD, state)
    try:
        yield Site(desk, mobile, state, now, published)
    finally:
        mobile.close()
        server.shutdown()
        server.server_close()
        desk.close()


@dataclass
class Bpjs:
    """The PCare bridge's outbox sending Antrean FKTP calls to the simulator, and the queue's follower."""

    sim: JknSimState
    bridge: BpjsBridge
    tail: QueueTail

    def flush(self, desk: Desk, rounds: int = 8) -> None:
        """Follow the queue, then run the outbox until nothing is due (moving the clock past back-offs)."""
        self.tail.step()
        for _ in range(rounds):
            self.bridge.process_outbox()
            if not self.pending():
                return
            desk.clock.advance(seconds=30)

    def pending(self) -> int:
        return self.bridge.outbox_summary()["pending"]


@pytest.fixture
def bpjs(pkm: Site) -> Iterator[Bpjs]:
    server = JknSimulator(pkm.sim).start()
    settings = BpjsSettings(**DEMO_CREDENTIALS.settings("http://127.0.0.1:9/pcare-rest"))
    bridge = BpjsBridge(pkm.desk.sessions, settings, clock=pkm.desk.clock)
    JknSender(bridge, JknConfig(base_url=server.url)).install()
    tracker = JknTracker(True, bridge.wake, sessions=pkm.desk.sessions, clock=pkm.desk.clock)
    pkm.desk.dispatcher.booking_events.subscribe(tracker.on_booking_event)
    tail = QueueTail(pkm.desk.sessions, [tracker], clock=pkm.desk.clock)
    try:
        yield Bpjs(pkm.sim, bridge, tail)
    finally:
        bridge.stop()
        server.stop()
