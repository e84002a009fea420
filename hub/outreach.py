"""Patients before they arrive, wired from the hub's config: the Mobile JKN web service for the public
listener, and the followers of the queue — Antrean FKTP calls to BPJS (through the PCare bridge's outbox)
and WhatsApp messages (through their own sender thread).

Usage (needs a running hub; not run as a doctest)::

    hub.outreach = start_outreach(hub)        # in build_hub, after the BPJS bridge
    public_blueprints(hub)                    # → [(jkn blueprint, "/jkn")] when [jkn] ws_username is set
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Blueprint

from hub.followers import Follower, QueueTail
from hub.jkn.antrean import JknAntrean
from hub.jkn.sender import JknSender
from hub.jkn.tokens import TokenIssuer
from hub.jkn.tracker import JknTracker
from hub.jkn.ws import JknWebService, jkn_blueprint
from hub.whatsapp.follower import WhatsAppFollower
from hub.whatsapp.outbox import WhatsAppSender
from hub.whatsapp.providers import build_provider

if TYPE_CHECKING:
    from hub.app import Hub

logger = logging.getLogger(__name__)


@dataclass
class Outreach:
    tail: QueueTail
    whatsapp: WhatsAppSender | None

    def stop(self) -> None:
        self.tail.stop()
        if self.whatsapp is not None:
            self.whatsapp.stop()


def start_outreach(hub: Hub) -> Outreach:
    """Start the queue's followers: Antrean FKTP (when ``[jkn] base_url`` is set) and WhatsApp (when
    ``[whatsapp] provider`` is set); the bridge's worker and the WhatsApp sender do the sending."""
    config = hub.config
    followers: list[Follower] = []
    if hub.bpjs is not None and config.jkn.base_url:
        JknSender(hub.bpjs, config.jkn).install()
        tracker = JknTracker(True, hub.bpjs.wake, sessions=hub.sessions)
        hub.dispatcher.booking_events.subscribe(tracker.on_booking_event)
        followers.append(tracker)
    whatsapp = None
    provider = build_provider(config.whatsapp)
    if provider is not None:
        whatsapp = WhatsAppSender(hub.sessions, provider, config.whatsapp).start()
        followers.append(
            WhatsAppFollower(
                config.whatsapp,
                site_name=config.site_name,
                tz=config.tz,
                ticket_of=hub.dispatcher.ticket_by_token,
                wake=whatsapp.wake,
            )
        )
    tail = QueueTail(hub.sessions, followers, interval_s=config.whatsapp.interval_s)
    if followers:
        tail.start()
    logger.info(
        "queue followers: %s",
        ", ".join(follower.name for follower in followers) or "none (JKN and WhatsApp off)",
    )
    return Outreach(tail, whatsapp)


def jkn_web_service(hub: Hub) -> JknWebService:
    config = hub.config.jkn
    # tokens are signed with a key derived from the password hash: a new password ends every token
    key = hashlib.sha256(b"antrean-jkn-token\n" + config.ws_password.encode()).digest()
    return JknWebService(
        JknAntrean(
            hub.sessions,
            hub.dispatcher,
            days_ahead=config.days_ahead,
            closed_weekdays=hub.config.booking.closed_weekdays,
        ),
        config,
        TokenIssuer(key, ttl_s=config.token_ttl_s),
        hub.publisher.apply,
    )


def jkn_public_blueprints(hub: Hub) -> list[tuple[Blueprint, str | None]]:
    """The Mobile JKN web service for the public listener, when ``[jkn] ws_username`` is set."""
    if not hub.config.jkn.ws_username:
        return []
    return [(jkn_blueprint(jkn_web_service(hub)), hub.config.jkn.ws_path)]
