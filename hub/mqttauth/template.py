"""The site ACL of ``provisioning/mosquitto.acl``, for any site and any set of nodes (``antrean demo`` writes
its own with it; a test checks that the shipped template says the same for site ``pkm``).

>>> print(site_acl("demo", displays=["display-1"]).splitlines()[-3])
user display-1
"""

from __future__ import annotations

from collections.abc import Iterable

from protocol.topics import check_segment

_EVERY_NODE = (
    "read {root}/hub/status",
    "read {root}/services",
    "write {root}/node/%u/status",
    "readwrite {root}/node/%u/probe",
)
_KIOSK = (
    "write {root}/kiosk/{user}/ticket/request",
    "write {root}/kiosk/{user}/ticket/cancel",
    "write {root}/kiosk/{user}/booking/request",
    "read {root}/kiosk/{user}/ticket/reply",
    "read {root}/kiosk/{user}/booking/reply",
)
_COUNTER = ("write {root}/counter/+/command", "read {root}/counter/+/reply", "read {root}/counter/+/state")
_DISPLAY = ("read {root}/display/state", "read {root}/display/announce")


def site_acl(
    site: str,
    *,
    kiosks: Iterable[str] = (),
    counters: Iterable[str] = (),
    displays: Iterable[str] = (),
    hub: str = "hub",
) -> str:
    """The ACL of one site in Mosquitto's format: the hub everything of the site, each node its own part."""
    root = f"antrean/{check_segment(site)}"
    lines = [f"pattern {rule.format(root=root)}" for rule in _EVERY_NODE]
    lines += [f"user {check_segment(hub)}", f"topic readwrite {root}/#"]
    for users, rules in ((kiosks, _KIOSK), (counters, _COUNTER), (displays, _DISPLAY)):
        for user in users:
            lines.append(f"user {check_segment(user)}")
            lines += [f"topic {rule.format(root=root, user=user)}" for rule in rules]
    return "\n".join(lines) + "\n"
