"""The site ACL of ``provisioning/mosquitto.acl``, for any site and any set of nodes (``antrean demo`` writes
its own with it; a test checks that the shipped template says the same for site ``pkm``).

>>> print(site_acl("demo", displays=["display-1"]).splitlines()[-5])
user display-1
>>> print(site_acl("demo", counters=["counter-1"], lokets={"counter-1": [2]}).splitlines()[-3])
topic write antrean/demo/counter/2/command
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from protocol.topics import check_segment

_EVERY_NODE = (
    "read {root}/hub/status",
    "read {root}/services",
    "write {root}/node/%u/status",
    "write {root}/node/%u/doctor",
    "readwrite {root}/node/%u/probe",
)
_KIOSK = (
    "write {root}/kiosk/{user}/ticket/request",
    "write {root}/kiosk/{user}/ticket/cancel",
    "write {root}/kiosk/{user}/booking/request",
    "read {root}/kiosk/{user}/ticket/reply",
    "read {root}/kiosk/{user}/booking/reply",
    "read {root}/kiosk/{user}/print",
)
_COUNTER = ("write {root}/counter/+/command", "read {root}/counter/+/reply", "read {root}/counter/+/state")
_DISPLAY = (
    "read {root}/display/state",
    "read {root}/display/announce",
    "read {root}/display/voice/pack",
    "read {root}/display/voice/clip/+",
)


def site_acl(
    site: str,
    *,
    kiosks: Iterable[str] = (),
    counters: Iterable[str] = (),
    displays: Iterable[str] = (),
    hub: str = "hub",
    lokets: Mapping[str, Iterable[int]] | None = None,
) -> str:
    """The ACL of one site in Mosquitto's format: the hub everything of the site, each node its own part.
    A counter listed in ``lokets`` gets the command, reply and state topics of those lokets only; any other
    counter those of every loket."""
    root = f"antrean/{check_segment(site)}"
    lines = [f"pattern {rule.format(root=root)}" for rule in _EVERY_NODE]
    lines += [f"user {check_segment(hub)}", f"topic readwrite {root}/#"]
    for users, rules in ((kiosks, _KIOSK), (counters, _COUNTER), (displays, _DISPLAY)):
        for user in users:
            lines.append(f"user {check_segment(user)}")
            if rules is _COUNTER and lokets and user in lokets:
                own = [rule.replace("/+/", f"/{int(n)}/") for n in lokets[user] for rule in rules]
                lines += [f"topic {rule.format(root=root)}" for rule in own]
            else:
                lines += [f"topic {rule.format(root=root, user=user)}" for rule in rules]
    return "\n".join(lines) + "\n"
