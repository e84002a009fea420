"""The accounts and ACL rules as pure code (``hub.mqttauth``): Mosquitto's formats, read the way Mosquitto
reads them, and the rules only the embedded broker adds (client ids, retained topics, sizes)."""

from __future__ import annotations

import doctest
import importlib
import subprocess
from pathlib import Path

import pytest

from hub.mqttauth import (
    MAX_PAYLOAD,
    Access,
    Acl,
    AclError,
    BrokerPolicy,
    ConnectRequest,
    InternalAccount,
    PasswordFileError,
    hash_password,
    read_password_file,
    verify_password,
)
from hub.mqttauth.acl import covers, overlaps
from hub.mqttauth.policy import is_retained_topic
from hub.mqttauth.template import site_acl
from tests.security.brokers import ACL


@pytest.mark.parametrize("algorithm", ["sha512-pbkdf2", "sha512"])
def test_hashes_written_by_mosquitto_passwd_verify(tmp_path: Path, algorithm: str) -> None:
    path = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-H", algorithm, "-c", "-b", str(path), "kiosk-1", "Rahasia-Kiosk-1"], check=True
    )
    stored = read_password_file(path)["kiosk-1"]
    assert stored.startswith("$7$" if algorithm == "sha512-pbkdf2" else "$6$")
    assert verify_password("Rahasia-Kiosk-1", stored)
    assert not verify_password("Rahasia-Kiosk-2", stored)
    assert not verify_password("", stored)


def test_own_hash_is_salted_and_checked() -> None:
    first, second = hash_password("Rahasia-Kiosk-1"), hash_password("Rahasia-Kiosk-1")
    assert first != second and verify_password("Rahasia-Kiosk-1", first)
    assert not verify_password("Rahasia-Kiosk-1", "$7$101$garbage")
    assert not verify_password("Rahasia-Kiosk-1", "plain-text")


def test_a_malformed_password_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    path.write_text("kiosk-1:plaintext\n", encoding="utf-8")
    with pytest.raises(PasswordFileError, match="line 1"):
        read_password_file(path)


ACL_TEXT = """\
# comment
topic read public/#
user kiosk-1
topic write k/kiosk-1/req
topic   readwrite   spaced/topic with space
topic bare/default
topic deny bare/default/secret
user display-1
topic read d/#
topic deny d/private
pattern write n/%u/status
pattern read c/%c/in
"""


def test_acl_syntax() -> None:
    acl = Acl.parse(ACL_TEXT)
    assert acl.allows(None, "x", "public/a/b", Access.READ)
    assert not acl.allows(None, "x", "public/a", Access.WRITE)
    assert not acl.allows(None, "x", "n/x/status", Access.WRITE)  # %u never applies to anonymous
    assert acl.allows("kiosk-1", "c1", "k/kiosk-1/req", Access.WRITE)
    assert not acl.allows("kiosk-1", "c1", "k/kiosk-1/req", Access.READ)
    assert not acl.allows("kiosk-1", "c1", "public/a", Access.READ)  # anonymous rules are not a user's
    assert acl.allows("kiosk-1", "c1", "spaced/topic with space", Access.READ)
    assert acl.allows("kiosk-1", "c1", "bare/default", Access.READ | Access.WRITE)
    assert acl.allows("kiosk-1", "c1", "n/kiosk-1/status", Access.WRITE)
    assert not acl.allows("kiosk-1", "c1", "n/display-1/status", Access.WRITE)
    assert acl.allows("kiosk-1", "c1", "c/c1/in", Access.READ)
    assert not acl.allows("kiosk-1", "c1", "c/c2/in", Access.READ)
    assert acl.allows("display-1", "c", "d/x", Access.READ)
    assert not acl.allows("display-1", "c", "d/private", Access.READ)  # deny wins
    assert not acl.covers("display-1", "c", "d/#", Access.READ)  # ... also over a wider subscription
    assert acl.covers("display-1", "c", "d/+", Access.READ) is False
    assert acl.covers("display-1", "c", "d/x/+", Access.READ)


def test_patterns_are_refused_to_names_that_could_escape_their_level() -> None:
    acl = Acl.parse("pattern write n/%u/status\npattern write c/%c\n")
    assert not acl.allows("a/b", "c", "n/a/b/status", Access.WRITE)
    assert not acl.allows("a", "x/#", "c/x/#", Access.WRITE)
    assert not acl.allows("+", "c", "n/+/status", Access.WRITE)


@pytest.mark.parametrize("line", ["topic", "topic maybe a/b", "user", "grant a/b"])
def test_acl_errors_name_the_line(line: str) -> None:
    with pytest.raises(AclError, match="line 2"):
        Acl.parse(f"# first\n{line}\n")


def test_wildcard_matching() -> None:
    assert covers("a/#", "a") and covers("a/#", "a/b/c") and covers("#", "a/b")
    assert covers("a/+/c", "a/b/c") and not covers("a/+/c", "a/b/d") and not covers("a/+", "a/b/c")
    assert covers("a/+", "a/+") and not covers("a/+", "a/#") and not covers("a/b", "a/+")
    assert not covers("#", "$SYS/broker")
    assert overlaps("a/+/c", "a/b/#") and not overlaps("a/b", "a/c") and overlaps("#", "x")


def test_the_shipped_acl_is_the_template_of_site_pkm() -> None:
    generated = Acl.parse(site_acl("pkm", kiosks=["kiosk-1"], counters=["counter-1"], displays=["display-1"]))
    assert generated == Acl.load(ACL)
    assert Acl.load(ACL).anonymous == []  # anonymous clients get nothing


def _policy(**kwargs: object) -> BrokerPolicy:
    passwords = {"kiosk-1": hash_password("Rahasia-Kiosk-1")}
    return BrokerPolicy(
        site="pkm",
        passwords=passwords,
        acl=Acl.load(ACL),
        internal=InternalAccount("hub", "internal-secret"),
        **kwargs,  # type: ignore[arg-type]
    )


def test_connect_rules() -> None:
    policy = _policy()
    ok = ConnectRequest("antrean-pkm-kiosk-1", "kiosk-1", "Rahasia-Kiosk-1")
    assert policy.admit(ok) is None
    assert policy.admit(ConnectRequest("antrean-pkm-hub", "hub", "internal-secret")) is None
    assert policy.admit(ConnectRequest("antrean-pkm-kiosk-1", None)) is not None
    assert policy.admit(ConnectRequest("antrean-pkm-kiosk-1", "kiosk-1", "wrong")) is not None
    assert policy.admit(ConnectRequest("antrean-pkm-ghost", "ghost", "Rahasia-Kiosk-1")) is not None
    assert policy.admit(ConnectRequest("antrean-pkm-hub", "kiosk-1", "Rahasia-Kiosk-1")) is not None
    assert policy.admit(ConnectRequest("kiosk-1", "kiosk-1", "Rahasia-Kiosk-1")) is not None


def test_last_wills_follow_the_publish_rules() -> None:
    policy = _policy()
    base = {"client_id": "antrean-pkm-kiosk-1", "username": "kiosk-1", "password": "Rahasia-Kiosk-1"}
    own = ConnectRequest(**base, will_topic="antrean/pkm/node/kiosk-1/status", will_size=50, will_retain=True)
    assert policy.admit(own) is None
    for will in (
        {"will_topic": "antrean/pkm/display/state", "will_size": 10, "will_retain": True},
        {"will_topic": "antrean/pkm/kiosk/kiosk-1/ticket/request", "will_size": 10, "will_retain": True},
        {"will_topic": "antrean/pkm/node/kiosk-1/status", "will_size": MAX_PAYLOAD + 1},
    ):
        assert policy.admit(ConnectRequest(**base, **will)) is not None, will  # type: ignore[arg-type]


def test_internal_account_has_the_site_and_nothing_else() -> None:
    policy = _policy()
    assert policy.may_publish("hub", "antrean-pkm-hub", "antrean/pkm/display/state")
    assert policy.may_subscribe("hub", "antrean-pkm-hub", "antrean/pkm/#")
    assert not policy.may_subscribe("hub", "antrean-pkm-hub", "#")
    assert not policy.may_publish("hub", "antrean-pkm-hub", "antrean/other/services")


def test_retained_only_on_the_protocols_retained_topics() -> None:
    for topic in ("services", "display/state", "counter/2/state", "node/kiosk-1/status", "hub/status"):
        assert is_retained_topic(f"antrean/pkm/{topic}"), topic
    for topic in ("display/announce", "kiosk/kiosk-1/ticket/request", "counter/2/command", "x", "services/x"):
        assert not is_retained_topic(f"antrean/pkm/{topic}"), topic
    policy = _policy()
    assert not policy.may_retain("kiosk-1", "antrean-pkm-kiosk-1", "antrean/pkm/kiosk/kiosk-1/ticket/request")
    assert policy.may_retain("kiosk-1", "antrean-pkm-kiosk-1", "antrean/pkm/node/kiosk-1/status")


def test_anonymous_mode_is_explicit() -> None:
    open_policy = BrokerPolicy(site="pkm", allow_anonymous=True)
    assert open_policy.admit(ConnectRequest("anything", None)) is None
    assert open_policy.may_publish(None, "anything", "antrean/pkm/counter/1/command")
    closed = BrokerPolicy(site="pkm")
    assert closed.admit(ConnectRequest("anything", None)) is not None


@pytest.mark.parametrize("name", ["acl", "passwords", "policy", "template"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(f"hub.mqttauth.{name}"), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_only_the_hub_sends_a_kiosk_its_print_jobs() -> None:
    acl = Acl.load(ACL)
    own, other = "antrean/pkm/kiosk/kiosk-1/print", "antrean/pkm/kiosk/kiosk-2/print"
    assert acl.allows("kiosk-1", "c", own, Access.READ) and not acl.allows("kiosk-1", "c", own, Access.WRITE)
    assert not acl.allows("kiosk-1", "c", other, Access.READ)
    assert acl.allows("hub", "c", own, Access.WRITE)
    assert not acl.allows("counter-1", "c", own, Access.WRITE) and not acl.allows(
        "display-1", "c", own, Access.READ
    )
