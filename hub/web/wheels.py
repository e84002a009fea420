"""``/wheels/``: the hub's wheelhouse (``[web] wheelhouse``), a flat page of links pip reads with
``--find-links http://HUB:PORT/wheels/``, and the wheel files themselves. Nodes fetch it at first boot and
at ``antrean update``, so it needs no login; it is on the LAN staff web only (never the public listener),
read-only, and serves nothing but ``*.whl`` files directly in that folder.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.wrappers import Response

logger = logging.getLogger(__name__)
bp = Blueprint("wheels", __name__, url_prefix="/wheels")
WHEEL_NAME = re.compile(r"^[A-Za-z0-9_.+!-]+\.whl$")  # PEP 427 names: no slash, no leading dot
CONFIG_KEY = "WHEELHOUSE"


def _folder() -> Path | None:
    folder = current_app.config.get(CONFIG_KEY)
    return Path(folder) if folder else None


def wheel_files(folder: Path | None) -> list[str]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file() and WHEEL_NAME.match(p.name))


@bp.get("/")
def index() -> Response:
    links = "\n".join(
        f'<a href="{html.escape(name)}">{html.escape(name)}</a><br>' for name in wheel_files(_folder())
    )
    head = "<!DOCTYPE html>\n<html><head><title>Antrean wheelhouse</title></head><body>\n"
    page = f"{head}{links}\n</body></html>\n"
    return Response(page, mimetype="text/html", headers={"Cache-Control": "no-cache"})


@bp.get("/<name>")
def wheel(name: str) -> Response:
    folder = _folder()
    if folder is None or not WHEEL_NAME.match(name) or name not in wheel_files(folder):
        abort(404)
    return send_from_directory(folder, name, mimetype="application/octet-stream", max_age=3600)
