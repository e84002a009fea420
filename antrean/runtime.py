"""What every node process (kiosk, display, counter) does on MQTT: one :class:`NodeRuntime`.

The runtime builds the node's :class:`~protocol.link.MqttLink` (client id ``antrean-{site}-{node_id}``, the
retained ``node/{node}/status`` saying ``online`` with the version and details, ``offline`` as its last will,
the liveness probe), routes each topic to a handler that gets the decoded payload model, and feeds the
systemd watchdog while the session is proven alive (:mod:`antrean.watchdog`; nothing outside systemd).

A message that does not follow the contract never reaches a handler: it is logged once, in English, and
ignored. Payloads are decoded as a tolerant reader (``v`` 1; fields a newer hub added are dropped, what the
node knows is validated: :meth:`protocol.payloads.Payload.decode`); an empty payload is a retained message
being cleared, not a malformed one.

>>> from antrean.node import NodeConfig
>>> runtime = NodeRuntime(NodeConfig(node_id="kiosk-1"), "kiosk", details={"printer": "ok"})
>>> runtime.link.client_id
'antrean-pkm-kiosk-1'
>>> runtime.status("offline").details
{'printer': 'ok'}
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TypeVar

import antrean
from antrean.hubtime import HubClock
from antrean.node import NodeConfig
from antrean.watchdog import Notifier, ServiceWatchdog
from protocol.errors import ProtocolError
from protocol.link import Handler, MqttLink
from protocol.payloads import NodeRole, NodeState, NodeStatus, Payload
from protocol.topics import Topics

logger = logging.getLogger(__name__)
CLOCK_WARN_S = 5.0  # as antrean doctor: ticket times depend on the node's clock
CLOCK_STEP_S = 1.0  # a published offset is updated when it moved this much

P = TypeVar("P", bound=Payload)


def client_id(config: NodeConfig) -> str:
    """The node's MQTT client id: unique on the broker as long as ``node_id`` is unique on the site."""
    return f"antrean-{config.site}-{config.node_id}"


def typed_handler(
    payload_type: type[P],
    handler: Callable[[str, P], None],
    *,
    cleared: Callable[[str], None] | None = None,
) -> Handler:
    """A link handler that decodes with ``payload_type.decode`` and calls ``handler(topic, payload)``; a
    malformed payload is logged and ignored; an empty one (a retained message cleared) goes to ``cleared``,
    or is ignored.

    >>> from protocol.payloads import Probe
    >>> got = []
    >>> handle = typed_handler(Probe, lambda topic, probe: got.append((topic, probe.seq)))
    >>> handle("t", Probe(sender="x", seq=3).encode()); handle("t", b"{not json"); handle("t", b"")
    >>> got
    [('t', 3)]
    """

    def handle(topic: str, payload: bytes) -> None:
        if not payload:
            if cleared is not None:
                cleared(topic)
            else:
                logger.debug("retained message on %s cleared", topic)
            return
        try:
            message = payload_type.decode(payload, tolerant=True)
        except ProtocolError as error:
            logger.warning("ignoring a malformed message on %s: %s", topic, error.detail)
            return
        handler(topic, message)

    return handle


class NodeRuntime:
    """The MQTT side of one node: link, availability status, typed routes, systemd watchdog.

    ``details`` go into the status (e.g. the printer's state) and can be changed with :meth:`set_details`;
    ``resend_after_reconnect=False`` drops what was unacknowledged when a connection broke (see
    :class:`~protocol.link.MqttLink`)."""

    def __init__(
        self,
        config: NodeConfig,
        role: NodeRole,
        *,
        details: Mapping[str, object] | None = None,
        resend_after_reconnect: bool = True,
        notifier: Notifier | None = None,
    ) -> None:
        self.config = config
        self.role = role
        self.topics = Topics(config.site)
        self._details = dict(details or {})
        self.link = MqttLink(
            config.mqtt.url,
            client_id=client_id(config),
            status_topic=self.topics.node_status(config.node_id),
            online=self.status("online"),
            offline=self.status("offline"),
            resend_after_reconnect=resend_after_reconnect,
            probe_topic=self.topics.node_probe(config.node_id),
            ca_file=config.mqtt.ca_file,
        )
        # systemd: READY once connected, fed while the MQTT session is proven alive
        self.watchdog = ServiceWatchdog(self.link, notifier)
        self.hub_clock = HubClock()
        self.link.route(self.topics.hub_status(), self._on_hub_time)
        self.link.on_connection_change(lambda up: self.hub_clock.reset() if up else None)

    def status(self, state: NodeState) -> NodeStatus:
        """This node's status message, with the current details."""
        return NodeStatus(
            node=self.config.node_id,
            role=self.role,
            state=state,
            version=antrean.__version__,
            details=dict(self._details),
        )

    def set_details(self, **details: object) -> None:
        """Change some status details (the others stay) and publish the ``online`` status now if connected;
        the ``offline`` last will keeps the details it was given at the start."""
        self._details.update(details)
        self.link.set_status(self.status("online"))

    def _on_hub_time(self, _topic: str, payload: bytes) -> None:
        """Measure this node's clock against the hub's (``hub/status`` republished every few seconds). An
        offset beyond :data:`CLOCK_WARN_S` goes into the status details (``clock_offset_s``) for the hub's
        node page, and so does the first one back within it; an offset within it is not published."""
        offset = self.hub_clock.on_status(payload)
        if offset is None:
            return
        shown = self._details.get("clock_offset_s")
        previous = float(shown) if isinstance(shown, int | float) else None
        if abs(offset) > CLOCK_WARN_S or previous is not None:
            rounded = round(offset, 1)
            if previous is None or abs(rounded - previous) >= CLOCK_STEP_S:
                logger.warning("clock %.1f s off the hub's (node minus hub)", offset)
                self.set_details(clock_offset_s=rounded)

    def route(
        self,
        topic: str,
        payload_type: type[P],
        handler: Callable[[str, P], None],
        *,
        cleared: Callable[[str], None] | None = None,
    ) -> None:
        """Subscribe ``topic`` and call ``handler(topic, payload)`` on paho's thread with each message
        decoded as ``payload_type`` (see :func:`typed_handler`)."""
        self.link.route(topic, typed_handler(payload_type, handler, cleared=cleared))

    def start(self, wait: float | None = None) -> bool:
        """Connect in the background (retrying forever) and start the watchdog; optionally wait up to
        ``wait`` s for the broker."""
        connected = self.link.start(wait=wait)
        self.watchdog.start()
        return connected

    def stop(self) -> None:
        """Tell systemd the process is stopping, publish ``offline`` and disconnect."""
        self.watchdog.stop()
        self.link.stop()
