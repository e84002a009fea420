"""Who may connect to the embedded broker, and what each client may publish, retain and read.

* a client with a user name must give that account's password (password file, or the hub's internal
  account, whose password the hub generates at each start); a client without one only if anonymous access is
  allowed (tests, and ``antrean demo`` on 127.0.0.1);
* an authenticated client must use the client id ``antrean-{site}-{user}`` (or, for ``antrean doctor``
  beside the running node, ``antrean-{site}-{user}.doctor``), so no account can take over the session of
  another (anonymous clients are exempt; ``.`` is never part of a node id);
* topics: the ACL file; the internal account reads and writes everything under ``antrean/{site}/``;
  without an ACL file (anonymous test/demo mode only) everything is allowed;
* a retained message is accepted only on a topic the protocol defines as retained; payloads (and last wills)
  over :data:`MAX_PAYLOAD` bytes are refused.

>>> policy = BrokerPolicy(site="pkm", internal=InternalAccount("hub", "s3cret-token"))
>>> policy.admit(ConnectRequest("antrean-pkm-hub", "hub", "s3cret-token")) is None
True
>>> policy.admit(ConnectRequest("antrean-pkm-hub", None, None))
'anonymous clients are not allowed'
>>> policy.may_retain("hub", "antrean-pkm-hub", "antrean/pkm/display/state")
True
>>> policy.may_retain("hub", "antrean-pkm-hub", "antrean/pkm/display/announce")
False
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field

from hub.mqttauth.acl import Access, Acl, covers
from hub.mqttauth.passwords import hash_password, verify_password
from protocol.payloads import MAX_PAYLOAD_BYTES
from protocol.topics import TOPICS, Topics
from protocol.transport import doctor_client_id

logger = logging.getLogger(__name__)
MAX_PAYLOAD = MAX_PAYLOAD_BYTES  # the protocol's own limit, enforced at the broker too
_RETAINED = [spec for spec in TOPICS.values() if spec.retained]
_DUMMY_HASH = hash_password("no such account")  # unknown users cost the same time as wrong passwords


def is_retained_topic(topic: str) -> bool:
    """Is ``topic`` one the protocol retains (``antrean/{site}/services``, ``.../display/state``...)?"""
    levels = topic.split("/")
    if len(levels) < 3 or levels[0] != "antrean":
        return False
    try:
        topics = Topics(levels[1])
    except ValueError:
        return False
    return any(topics.match(spec, topic) is not None for spec in _RETAINED)


@dataclass(frozen=True)
class InternalAccount:
    """The hub's own account on its embedded broker: a password generated at each start, never stored."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class ConnectRequest:
    """What a CONNECT packet asks for."""

    client_id: str
    username: str | None
    password: str | None = field(default=None, repr=False)
    will_topic: str | None = None
    will_size: int = 0
    will_retain: bool = False


class BrokerPolicy:
    def __init__(
        self,
        *,
        site: str,
        passwords: dict[str, str] | None = None,
        acl: Acl | None = None,
        allow_anonymous: bool = False,
        internal: InternalAccount | None = None,
    ) -> None:
        self.site = site
        self.root = Topics(site).root
        self.passwords = dict(passwords or {})
        self.acl = acl
        self.allow_anonymous = allow_anonymous
        self.internal = internal
        self._drop_shadowed()

    def _drop_shadowed(self) -> None:
        internal = self.internal
        if internal is not None and internal.username in self.passwords:
            logger.info(
                "the password file has an account %r: the hub's internal account of that name replaces it "
                "on the embedded broker",
                internal.username,
            )
            del self.passwords[internal.username]

    def replace_accounts(self, other: BrokerPolicy) -> list[str]:
        """Take the accounts and ACL of ``other`` (the files read again); returns the user names that are
        gone. The internal account stays."""
        gone = sorted(set(self.passwords) - set(other.passwords))
        self.passwords, self.acl = dict(other.passwords), other.acl
        self._drop_shadowed()
        return gone

    def knows(self, username: str | None) -> bool:
        """Would a client of this user name still get in (its account exists, or anonymous is allowed)?"""
        if username is None or (not self.passwords and self.internal is None and self.allow_anonymous):
            return self.allow_anonymous
        internal = self.internal is not None and username == self.internal.username
        return internal or username in self.passwords

    # -- CONNECT ---------------------------------------------------------------------------------

    def _password_ok(self, username: str, password: str | None) -> bool:
        if self.internal is not None and username == self.internal.username:
            return hmac.compare_digest(
                (password or "").encode("utf-8"), self.internal.password.encode("utf-8")
            )
        stored = self.passwords.get(username)
        ok = verify_password(password or "", stored or _DUMMY_HASH)
        return ok and stored is not None

    def admit(self, request: ConnectRequest) -> str | None:
        """None if the CONNECT is accepted, else why it is refused (for the log; the client only learns
        "not authorised")."""
        username = request.username
        if username is None:
            if not self.allow_anonymous:
                return "anonymous clients are not allowed"
        elif not self.passwords and self.internal is None and self.allow_anonymous:
            pass  # anonymous test/demo mode without accounts: a user name is only a label
        elif not self._password_ok(username, request.password):
            return f"wrong user name or password for {username!r}"
        elif request.client_id not in (
            f"antrean-{self.site}-{username}",
            doctor_client_id(self.site, username),
        ):
            return (
                f"client id {request.client_id!r} refused for user {username!r} "
                f"(must be antrean-{self.site}-{username})"
            )
        if request.will_topic is not None:
            if request.will_size > MAX_PAYLOAD:
                return f"last will of {request.will_size} bytes (limit {MAX_PAYLOAD})"
            if not self.may_publish(username, request.client_id, request.will_topic):
                return f"last will on {request.will_topic!r}, which this client may not publish"
            if request.will_retain and not is_retained_topic(request.will_topic):
                return f"retained last will on {request.will_topic!r}, which is not a retained topic"
        return None

    # -- topics ----------------------------------------------------------------------------------

    def _covers(self, username: str | None, client_id: str, topic_filter: str, access: Access) -> bool:
        if self.internal is not None and username == self.internal.username:
            return covers(f"{self.root}/#", topic_filter)
        if self.acl is None:
            return self.allow_anonymous and not self.passwords  # test/demo mode; else nothing without an ACL
        return self.acl.covers(username, client_id, topic_filter, access)

    def may_publish(self, username: str | None, client_id: str, topic: str) -> bool:
        return self._covers(username, client_id, topic, Access.WRITE)

    def may_retain(self, username: str | None, client_id: str, topic: str) -> bool:
        return is_retained_topic(topic) and self.may_publish(username, client_id, topic)

    def may_subscribe(self, username: str | None, client_id: str, topic_filter: str) -> bool:
        return self._covers(username, client_id, topic_filter, Access.READ)

    def may_receive(self, username: str | None, client_id: str, topic: str) -> bool:
        return self._covers(username, client_id, topic, Access.READ)
