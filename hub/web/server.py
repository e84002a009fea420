"""Serving the web from the hub process: waitress (production WSGI) in a thread."""

from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from waitress.server import create_server

from hub.web import create_app
from hub.web.context import services_from_hub
from hub.web.notify import Notifier

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


def serve(hub: Hub) -> WebServer:
    """Start the web for ``hub`` on ``[web] host:port``; the state the hub publishes wakes live pages."""
    config = hub.config
    services = services_from_hub(hub)
    key_path = (
        Path(config.web.secret_key_file)
        if config.web.secret_key_file
        else Path(config.data_dir) / "secret_key"
    )
    secure = config.web.public_url.startswith("https://")
    app = create_app(
        services,
        {
            "SECRET_KEY": secret_key(key_path),
            "SESSION_COOKIE_SECURE": secure,
            "TRUSTED_PROXIES": config.web.trusted_proxies,
            "WHEELHOUSE": config.web.wheelhouse or str(Path(config.data_dir) / "wheelhouse"),
        },
    )
    services.notifier.max_streams = max(1, config.web.threads - 2)
    hub.link.route(hub.topics.display_state(), lambda _topic, _payload: services.notifier.notify())
    server = create_server(
        app,
        host=config.web.host,
        port=config.web.port,
        threads=config.web.threads,
        ident="antrean",
        channel_timeout=60,
    )
    logger.info("web listening on %s:%s", config.web.host, config.web.port)
    return WebServer(server, services.notifier).start()
