"""What the web needs from the hub, in one object: database sessions, the dispatcher, the state publisher,
the BPJS bridge, where files live, and the notifier that wakes live pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.db.base import READ_ONLY, utcnow
from hub.dispatch.service import Dispatcher, Outcome
from hub.web.notify import Notifier
from hub.web.ports import BpjsPort
from protocol import PrintRequest

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.revoke import NodeAccounts
    from hub.voicepack import VoicePacks


def _ignore(_outcome: Outcome) -> None:
    return None


def _nothing() -> None:
    return None


def _no_broker(node: str, job: PrintRequest) -> None:
    raise RuntimeError(f"no MQTT link to send print job {job.id} to {node}")


@dataclass
class WebServices:
    """The web's view of the hub.

    Usage (needs a running hub; not run as a doctest)::

        services = WebServices(
            sessions, dispatcher, data_dir=Path("/var/lib/antrean"), tz=ZoneInfo("Asia/Jakarta")
        )
        app = create_app(services)
    """

    sessions: sessionmaker[Session]
    dispatcher: Dispatcher
    data_dir: Path
    tz: ZoneInfo
    site_name: str = "Puskesmas"
    publish: Callable[[Outcome], None] = _ignore
    publish_all: Callable[[], None] = _nothing
    bpjs: BpjsPort | None = None
    notifier: Notifier = field(default_factory=Notifier)
    clock: Callable[[], datetime] = utcnow
    voice: VoicePacks | None = None  # the recorded voice pack (hub/voicepack.py), sent to the displays
    print_on_kiosk: Callable[[str, PrintRequest], object] = _no_broker  # a loket's print job to a kiosk
    accounts: NodeAccounts | None = None  # the nodes' MQTT accounts (revoking one), if the hub has any

    @cached_property
    def reader(self) -> Engine:
        """The database with every transaction begun as a read (see :func:`hub.web.db.db`)."""
        engine = cast(Engine, self.sessions.kw["bind"])
        return engine.execution_options(**{READ_ONLY: True})

    def apply(self, outcome: Outcome) -> None:
        """Publish what a dispatcher operation changed (MQTT state) and wake the live pages."""
        self.publish(outcome)
        self.notifier.notify()

    def local(self, moment: datetime | None) -> datetime | None:
        return moment.astimezone(self.tz) if moment is not None else None


def services_from_hub(hub: Hub) -> WebServices:
    """Build :class:`WebServices` from a running :class:`hub.app.Hub`."""
    from hub.revoke import NodeAccounts

    config = hub.config
    return WebServices(
        sessions=hub.sessions,
        dispatcher=hub.dispatcher,
        data_dir=Path(config.data_dir),
        tz=config.tz,
        site_name=config.site_name,
        publish=hub.publisher.apply,
        publish_all=hub.publisher.publish_all,
        bpjs=hub.bpjs,
        clock=hub.dispatcher.clock,
        voice=hub.voice,
        print_on_kiosk=lambda node, job: hub.link.publish(hub.topics.kiosk_print(node), job),
        accounts=NodeAccounts(hub.config, hub.broker) if hub.config.broker.password_file else None,
    )
