"""ACL files in Mosquitto's format, and the topic matching they need.

* ``user NAME`` starts the rules of one account; ``topic`` lines before the first ``user`` line are for
  anonymous clients;
* ``topic [read|write|readwrite|deny] TOPIC`` (access omitted: readwrite) and
  ``pattern [read|write|readwrite|deny] TOPIC`` (for every client; a level ``%u`` is the user name, ``%c`` the
  client id; a pattern with ``%u`` never applies to an anonymous client);
* ``deny`` wins over any grant; a line starting with ``#`` is a comment; ``+`` and ``#`` are wildcards.

Publishing needs write access to the topic; a subscription needs read access to everything its filter can
match (Mosquitto 2.0 grants the SUBSCRIBE and filters each message instead: what reaches the client is the
same); every delivered message needs read access.

>>> acl = Acl.parse("pattern write pkm/node/%u/status\\nuser display-1\\ntopic read pkm/display/#")
>>> acl.allows("kiosk-1", "c", "pkm/node/kiosk-1/status", Access.WRITE)
True
>>> acl.allows("kiosk-1", "c", "pkm/node/kiosk-2/status", Access.WRITE)
False
>>> acl.covers("display-1", "c", "pkm/display/+", Access.READ), acl.covers("display-1", "c", "#", Access.READ)
(True, False)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

_ACCESS = {"read": 1, "write": 2, "readwrite": 3, "deny": 0}
_UNSAFE = frozenset("+#/")


class AclError(ValueError):
    """An ACL file cannot be used; the message names the file and the line."""


class Access(enum.IntFlag):
    READ = 1
    WRITE = 2


@dataclass(frozen=True)
class Rule:
    access: int  # Access bits; 0 = deny
    topic: str

    @property
    def deny(self) -> bool:
        return self.access == 0


def covers(outer: str, inner: str) -> bool:
    """True if every topic the filter ``inner`` can match is matched by the filter ``outer``.
    With a plain topic as ``inner`` this is MQTT topic matching."""
    outer_levels, inner_levels = outer.split("/"), inner.split("/")
    if inner.startswith("$") != outer.startswith("$"):
        return False
    for index, level in enumerate(outer_levels):
        if level == "#":
            return True
        if index >= len(inner_levels):
            return False
        wanted = inner_levels[index]
        if level == "+":
            if wanted == "#":
                return False
            continue
        if level != wanted:
            return False
    return len(outer_levels) == len(inner_levels)


def overlaps(a: str, b: str) -> bool:
    """True if some topic matches both filters."""
    a_levels, b_levels = a.split("/"), b.split("/")
    for index in range(max(len(a_levels), len(b_levels))):
        x = a_levels[index] if index < len(a_levels) else None
        y = b_levels[index] if index < len(b_levels) else None
        if x == "#" or y == "#":
            return True
        if x is None or y is None:
            return False
        if x != y and "+" not in (x, y):
            return False
    return True


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT matching of a concrete ``topic`` against ``topic_filter``.

    >>> topic_matches("antrean/+/services", "antrean/pkm/services"), topic_matches("a/#", "b/c")
    (True, False)
    """
    return covers(topic_filter, topic)


@dataclass
class Acl:
    anonymous: list[Rule] = field(default_factory=list)
    users: dict[str, list[Rule]] = field(default_factory=dict)
    patterns: list[Rule] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str, source: str = "ACL file") -> Acl:
        acl = cls()
        current: list[Rule] = acl.anonymous
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.rstrip("\r\n")
            if line.startswith("#") or not line.strip():
                continue
            keyword, _, rest = line.strip().partition(" ")
            rest = rest.lstrip(" ")
            if keyword == "user":
                if not rest:
                    raise AclError(f"{source}, line {number}: user without a name")
                current = acl.users.setdefault(rest, [])
            elif keyword in ("topic", "pattern"):
                first, _, topic = rest.partition(" ")
                topic = topic.lstrip(" ")
                if not topic:  # no access word: the whole rest is the topic
                    first, topic = "readwrite", first
                if first not in _ACCESS:
                    raise AclError(f"{source}, line {number}: access must be read, write, readwrite or deny")
                if not topic:
                    raise AclError(f"{source}, line {number}: {keyword} without a topic")
                rule = Rule(_ACCESS[first], topic)
                (acl.patterns if keyword == "pattern" else current).append(rule)
            else:
                raise AclError(f"{source}, line {number}: unknown keyword {keyword!r}")
        return acl

    @classmethod
    def load(cls, path: str | Path) -> Acl:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise AclError(f"cannot read ACL file {path}: {exc.strerror or exc}") from exc
        return cls.parse(text, str(path))

    def rules_for(self, username: str | None, client_id: str) -> list[Rule]:
        """The rules of one client, patterns substituted (Mosquitto denies patterns to a user name or client
        id holding ``+``, ``#`` or ``/``: such a client only gets what its ``user`` section lists)."""
        own = self.users.get(username, []) if username is not None else self.anonymous
        rules = list(own)
        unsafe = bool(_UNSAFE & set(client_id)) or (username is not None and bool(_UNSAFE & set(username)))
        for rule in self.patterns:
            levels = rule.topic.split("/")
            if "%u" in levels and username is None:
                continue
            if unsafe and ("%u" in levels or "%c" in levels):
                continue
            topic = "/".join(
                username if level == "%u" and username else client_id if level == "%c" else level
                for level in levels
            )
            rules.append(Rule(rule.access, topic))
        return rules

    def allows(self, username: str | None, client_id: str, topic: str, access: Access) -> bool:
        """May this client read or write the concrete ``topic``?"""
        return self.covers(username, client_id, topic, access)

    def covers(self, username: str | None, client_id: str, topic_filter: str, access: Access) -> bool:
        """May this client read (or write) everything ``topic_filter`` can match?"""
        rules = self.rules_for(username, client_id)
        if any(rule.deny and overlaps(rule.topic, topic_filter) for rule in rules):
            return False
        return any(rule.access & access and covers(rule.topic, topic_filter) for rule in rules)

    def grants_under(self, root: str) -> bool:
        """Does any rule grant something under ``root`` (e.g. ``antrean/pkm``)? For a start-up warning."""
        every = [*self.anonymous, *self.patterns, *(r for rules in self.users.values() for r in rules)]
        return any(not rule.deny and overlaps(rule.topic, f"{root}/#") for rule in every)
