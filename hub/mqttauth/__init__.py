"""MQTT accounts and access rules in Mosquitto's file formats, as pure code.

One password file (``mosquitto_passwd`` hashes) and one ACL file (``user`` / ``topic`` / ``pattern`` lines)
serve both the hub's embedded broker and Mosquitto. :class:`BrokerPolicy` combines them with the rules only
the embedded broker can enforce (client ids, retained topics, payload size); ``hub.brokerguard`` applies it
to amqtt.
"""

from hub.mqttauth.acl import Access, Acl, AclError, topic_matches
from hub.mqttauth.passwords import (
    PasswordFileError,
    hash_password,
    password_problem,
    read_password_file,
    remove_account,
    set_password,
    verify_password,
)
from hub.mqttauth.policy import MAX_PAYLOAD, BrokerPolicy, ConnectRequest, InternalAccount

__all__ = [
    "MAX_PAYLOAD",
    "Access",
    "Acl",
    "AclError",
    "BrokerPolicy",
    "ConnectRequest",
    "InternalAccount",
    "PasswordFileError",
    "hash_password",
    "password_problem",
    "read_password_file",
    "remove_account",
    "set_password",
    "topic_matches",
    "verify_password",
]
