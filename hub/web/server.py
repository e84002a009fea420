"""Serving the web from the hub process: waitress (production WSGI) in a thread."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from waitress.server import create_server

from hub.web import create_app
from hub.web.context import services_from_hub
from hub.web.notify import Notifier
from hub.web.public_app import PublicBlueprint, create_public_app

if TYPE_CHECKING:
    from hub.app import Hub

logger = logging.getLogger(__name__)


def secret_key(path: Path) -> str:
    """The session signing key, created (mode 0600) on first start."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    logger.info("created a new web session key")
    return key


class WebServer:
    def __init__(self, server: Any, notifier: Notifier) -> None:
        self._server = server
        self._notifier = notifier
        self._thread = threading.Thread(target=self._run, name="web", daemon=True)

    def _run(self) -> None:
        try:
            self._server.run()
        except OSError:
            logger.debug("web server loop ended")

    def start(self) -> WebServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every open connection (live streams included), then the workers."""
        self._notifier.close()
        self._server.close()
        for channel in list(self._server._map.values()):
            channel.close()
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=3)
        self._thread.join(5)


class WebServers:
    """The staff web and the public listener, stopped together."""

    def __init__(self, servers: list[WebServer]) -> None:
        self.servers = servers

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def public_blueprints(hub: Hub) -> list[PublicBlueprint]:
    """The public services beyond the ticket page and booking, each ``(blueprint, url_prefix)``: register
    more here (e.g. the Mobile JKN web service under ``[jkn] ws_path``)."""
    from hub.outreach import jkn_public_blueprints

    return [*jkn_public_blueprints(hub)]


def _listen(app: Any, notifier: Notifier, host: str, port: int, threads: int, name: str) -> WebServer:
    server = create_server(app, host=host, port=port, threads=threads, ident="antrean", channel_timeout=60)
    logger.info("%s listening on %s:%s", name, host, port)
    return WebServer(server, notifier).start()


def serve(hub: Hub) -> WebServers:
    """Start the loket/admin web on ``[web] host:port`` and the public listener on ``[public] host:port``
    (each when its port is set); the state the hub publishes wakes live pages on both."""
    config = hub.config
    services = services_from_hub(hub)
    key_path = (
        Path(config.web.secret_key_file)
        if config.web.secret_key_file
        else Path(config.data_dir) / "secret_key"
    )
    key = secret_key(key_path)
    # each listener has its own notifier: streams held open by the internet never starve the lokets'
    public_services = replace(services, notifier=Notifier(max_streams=max(1, config.public.threads - 2)))
    services.notifier.max_streams = max(1, config.web.threads - 2)

    def changed(_topic: str, _payload: bytes) -> None:
        services.notifier.notify()
        public_services.notifier.notify()

    hub.link.route(hub.topics.display_state(), changed)
    servers = []
    if config.web.port:
        app = create_app(
            services,
            {
                "SECRET_KEY": key,
                "SESSION_COOKIE_SECURE": config.web.public_url.startswith("https://"),
                "TRUSTED_PROXIES": config.web.trusted_proxies,
                "WHEELHOUSE": config.web.wheelhouse or str(Path(config.data_dir) / "wheelhouse"),
                "NOTIFY_BEFORE": config.whatsapp.notify_before,  # the ticket page of tickets printed earlier
            },
        )
        servers.append(
            _listen(app, services.notifier, config.web.host, config.web.port, config.web.threads, "web")
        )
    if config.public.port:
        public = create_public_app(
            public_services,
            {
                "SECRET_KEY": hmac.new(key.encode(), b"public", hashlib.sha256).hexdigest(),
                "SESSION_COOKIE_SECURE": config.public.url.startswith("https://"),
                "TRUSTED_PROXIES": config.public.trusted_proxies,
                "LAN_NETWORKS": config.public.lan_networks,
                "NOTIFY_BEFORE": config.whatsapp.notify_before,
                "BOOKING": config.booking,
            },
            public_blueprints(hub),
        )
        pc = config.public
        servers.append(
            _listen(public, public_services.notifier, pc.host, pc.port, pc.threads, "public listener")
        )
    return WebServers(servers)
