"""Node health: every node's role, version, availability, clock offset and last ``antrean doctor`` result;
an admin revokes a node here (its MQTT account is removed and the broker reloaded, audited)."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from antrean.doctor.checks import CLOCK_WARN_S
from hub.db.models import NodeHealth
from hub.revoke import RevokeError
from hub.web.admin import bp
from hub.web.audit import record
from hub.web.db import db, services, writing
from protocol.topics import check_segment

logger = logging.getLogger(__name__)


@bp.route("/node")
def nodes() -> str:
    rows = list(db().scalars(select(NodeHealth).order_by(NodeHealth.role, NodeHealth.node)))
    accounts = services().accounts
    names = accounts.names() if accounts is not None else None
    return render_template(
        "admin/nodes.html", rows=rows, accounts=names, clock_warn_s=CLOCK_WARN_S, can_revoke=names is not None
    )


@bp.route("/node/<node>/cabut", methods=["POST"])
def revoke(node: str) -> Response:
    accounts = services().accounts
    try:
        check_segment(node)
    except ValueError:
        abort(404)
    if accounts is None:
        flash("Hub ini tidak memakai akun MQTT per node; tidak ada yang dapat dicabut.", "error")
        return redirect(url_for("admin.nodes"))
    try:
        outcome = accounts.revoke(node)
    except RevokeError as error:
        logger.error("revoking node %s failed: %s", node, error)
        flash(f"Akun node {node} gagal dicabut: {error}", "error")
        return redirect(url_for("admin.nodes"))
    with writing():  # after the broker work: no database lock held while a reload command runs
        record(
            db(),
            "node_revoke",
            table="node_health",
            new_values={
                "node": node,
                "removed": outcome.removed,
                "reloaded": outcome.reloaded,
                "problems": outcome.problems,
            },
        )
    if not outcome.removed:
        flash(f"Node {node} tidak mempunyai akun MQTT (sudah dicabut?).", "error")
    elif outcome.problems:
        flash(
            f"Akun node {node} dihapus, tetapi broker belum memuat ulang: {'; '.join(outcome.problems)}",
            "error",
        )
    else:
        flash(f"Akun node {node} dicabut; node diputus dari broker.", "success")
    return redirect(url_for("admin.nodes"))
