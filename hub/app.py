"""The hub process, wired explicitly: config → broker → database → dispatcher → MQTT → gateway → web."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from antrean import __version__
from antrean.config import parse_hhmm
from hub.bpjs.service import BpjsBridge, start_bridge
from hub.broker import BrokerProcess, hub_broker_settings
from hub.config import HubConfig
from hub.db.base import utcnow
from hub.db.checkpoint import WalCheckpointer
from hub.db.database import open_database
from hub.db.identity import sqlite_path
from hub.db.watch import DatabaseWatch
from hub.dispatch.service import Dispatcher
from hub.gateway import Gateway
from hub.outreach import Outreach, start_outreach
from hub.publisher import StatePublisher
from hub.voicepack import VoiceDistributor, VoicePacks
from hub.web.ports import WebHandle
from hub.web.server import serve
from protocol import MqttLink, NodeStatus, Topics

logger = logging.getLogger(__name__)
HOUSEKEEPING_S = 30.0
HUB_TIME_S = 5.0  # hub/status is republished this often with the hub's clock (nodes' clock offset)


def public_url(config: HubConfig) -> str:
    """The base of the status URL printed in ticket QR codes: the public listener's when it has one."""
    if config.public.port and config.public.url:
        return config.public.url.rstrip("/")
    if config.web.public_url:
        return config.web.public_url.rstrip("/")
    return f"http://{socket.gethostname()}:{config.web.port}"


def hub_status(config: HubConfig, state: str) -> NodeStatus:
    """The hub's retained status; ``online`` carries the hub's clock (``hub_time``) of this moment."""
    return NodeStatus(
        node=config.node_id,
        role="hub",
        state=state,
        version=__version__,
        details={"site_name": config.site_name},
        hub_time=utcnow() if state == "online" else None,
    )


@dataclass
class Hub:
    config: HubConfig
    engine: Engine
    sessions: sessionmaker[Any]
    dispatcher: Dispatcher
    link: MqttLink
    topics: Topics
    publisher: StatePublisher
    gateway: Gateway
    broker: BrokerProcess | None = None
    checkpointer: WalCheckpointer | None = None
    web: WebHandle | None = None
    bpjs: BpjsBridge | None = None
    outreach: Outreach | None = None
    voice: VoicePacks | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    exit_code: int = 0

    def fail(self, reason: str) -> None:
        """Stop with a non-zero exit code, so that systemd restarts the hub."""
        logger.error("stopping the hub: %s", reason)
        self.exit_code = 1
        self.stop_event.set()

    def housekeeping(self) -> None:
        """Daily reset, release of unconfirmed bookings and opening-hours changes, checked every 30 s."""
        while not self.stop_event.wait(HOUSEKEEPING_S):
            try:
                self.publisher.apply(self.dispatcher.expire_previous_days())
                self.publisher.apply(
                    self.dispatcher.release_bookings(parse_hhmm(self.config.booking.release_at))
                )
                self.publisher.refresh_services()
            except Exception:
                logger.exception("housekeeping failed")

    def tell_time(self) -> None:
        """Republish ``hub/status`` with the hub's clock every :data:`HUB_TIME_S`, so that a node sees it
        live (not retained) and measures its clock offset to within the network's delay."""
        while not self.stop_event.wait(HUB_TIME_S):
            self.link.set_status(hub_status(self.config, "online"))

    def run(self) -> None:
        threading.Thread(target=self.housekeeping, name="housekeeping", daemon=True).start()
        threading.Thread(target=self.tell_time, name="hub-time", daemon=True).start()
        self.stop_event.wait()

    def stop(self) -> None:
        self.stop_event.set()
        if self.web is not None:
            self.web.stop()
        if self.outreach is not None:
            self.outreach.stop()
        if self.bpjs is not None:
            self.bpjs.stop()
        self.publisher.flush(2)
        self.publisher.stop()
        self.link.stop()
        if self.broker is not None:
            self.broker.stop()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()


def build_hub(config: HubConfig, *, with_web: bool = True, stop_event: threading.Event | None = None) -> Hub:
    engine, sessions = open_database(config)
    broker = None
    mqtt_url = config.mqtt.url
    if not mqtt_url:
        broker = BrokerProcess(hub_broker_settings(config))
        broker.start()
        mqtt_url = broker.url  # the hub's internal account
    checkpointer = WalCheckpointer(engine) if engine.dialect.name == "sqlite" else None
    if checkpointer is not None:
        checkpointer.start()
    dispatcher = Dispatcher(
        sessions, tz=config.tz, public_url=public_url(config), site_name=config.site_name, motto=config.motto
    )
    topics = Topics(config.site)
    link = MqttLink(
        mqtt_url,
        client_id=f"antrean-{config.site}-{config.node_id}",
        status_topic=topics.hub_status(),
        online=hub_status(config, "online"),
        offline=hub_status(config, "offline"),
        probe_topic=topics.node_probe(config.node_id),
    )
    publisher = StatePublisher(link, topics, dispatcher)
    gateway = Gateway(link, topics, dispatcher, publisher)
    hub = Hub(
        config=config,
        engine=engine,
        sessions=sessions,
        dispatcher=dispatcher,
        link=link,
        topics=topics,
        publisher=publisher,
        gateway=gateway,
        broker=broker,
        checkpointer=checkpointer,
        stop_event=stop_event or threading.Event(),
    )
    database_file = sqlite_path(config.database_url)
    if database_file is not None:
        DatabaseWatch(database_file, on_lost=hub.fail).start()
    publisher.apply(dispatcher.expire_previous_days())
    gateway.install()
    publisher.start()
    link.start()
    hub.voice = start_voice(hub)
    hub.bpjs = start_bpjs(hub)
    hub.outreach = start_outreach(hub)
    if with_web and (config.web.port or config.public.port):
        hub.web = start_web(hub)
    return hub


def start_voice(hub: Hub) -> VoicePacks:
    """The recorded voice pack: kept retained on the broker for every display (sent again at each start)."""
    packs = VoicePacks(Path(hub.config.data_dir) / "voice-pack")
    VoiceDistributor(hub.link, hub.topics, packs).publish()
    return packs


def start_bpjs(hub: Hub) -> BpjsBridge:
    """Start the BPJS PCare bridge (its outbox worker); it stays idle until BPJS is configured."""
    return start_bridge(hub.config, hub.sessions)


def start_web(hub: Hub) -> WebHandle:
    """Start the loket/admin web on ``[web] host:port`` and the public listener on ``[public] host:port``."""
    return serve(hub)
