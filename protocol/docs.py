"""Generates docs/mqtt.md from the topic table and payload models (``python -m protocol.docs``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from protocol.errors import MESSAGES
from protocol.topics import TOPICS

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "mqtt.md"

HEADER = """# MQTT contract v1

Generated from `protocol/` by `python -m protocol.docs`; a test fails when this file is out of date.

Root `antrean/{site}` (`site` from the config, default `pkm`). JSON in UTF-8, QoS 1 everywhere, every payload
carries `"v": 1`, times are ISO 8601 with offset. The hub refuses fields it does not know; nodes ignore the
fields a newer hub added (at any depth), so nodes and hub of two releases work together during an update.
Requests are idempotent per
`request_id` for the whole service day. A malformed payload gets an `invalid_request` reply where a reply
topic exists. Payloads larger than 64 KiB are refused.

Client ids: every process connects with client id `antrean-{site}-{node_id}` (the hub's `node_id` is `hub`
unless configured), clean session. The broker gives an id to its newest connection, so two processes with
one id take the session from each other: each process therefore publishes a probe to its own
`node/{node}/probe` every 2 s and expects it back; after 10 s without anything from the broker while
connected, it logs an error naming the client id and reconnects. Sessions lost three times within 60 s are
reported as a fight over the id (a cloned SD card, or two nodes with the same `node_id`): an error in the
log and `duplicate_client_id: true` in the `details` of the process's retained status.

## Topics

| topic (under root) | from → to | retained | payload | purpose |
|---|---|---|---|---|
"""


def _schema_rows(schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    rows = []
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        rows.append(
            f"| `{name}` | {_type_of(prop, defs)} | {'yes' if name in required else 'no'} | "
            f"{prop.get('description', '')} |"
        )
    return rows


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "enum" in prop:
        return " / ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "anyOf" in prop:
        return " or ".join(_type_of(option, defs) for option in prop["anyOf"])
    kind = prop.get("type", "any")
    if kind == "array":
        if "prefixItems" in prop:
            return "[" + ", ".join(_type_of(i, defs) for i in prop["prefixItems"]) + "]"
        return f"list of {_type_of(prop.get('items', {}), defs)}"
    if prop.get("format"):
        return f"{kind} ({prop['format']})"
    return str(kind)


def render() -> str:
    out = [HEADER]
    models: dict[str, Any] = {}
    for spec in TOPICS.values():
        retained = (
            "yes, and the last will" if spec.name.endswith("status") else ("yes" if spec.retained else "no")
        )
        out.append(
            f"| `{spec.pattern}` | {spec.sender} → {spec.receiver} | {retained} | "
            f"[{spec.payload.__name__}](#{spec.payload.__name__.lower()}) | {spec.description} |\n"
        )
        models[spec.payload.__name__] = spec.payload
    out.append(
        "\n## Errors\n\n`{code, message}`; `message` is Indonesian, for people.\n\n"
        "| code | message |\n|---|---|\n"
    )
    for code, message in MESSAGES.items():
        out.append(f"| `{code}` | {message} |\n")
    out.append("\n## Payloads\n")
    nested: dict[str, Any] = {}
    for name, model in models.items():
        schema = model.model_json_schema()
        defs = schema.get("$defs", {})
        nested.update(defs)
        out.append(f"\n### {name}\n\n{_first_paragraph(model.__doc__)}\n\n")
        out.append("| field | type | required | notes |\n|---|---|---|---|\n")
        out.append("\n".join(_schema_rows(schema, defs)) + "\n")
    out.append("\n## Nested objects\n")
    for name in sorted(nested):
        out.append(f"\n### {name}\n\n| field | type | required | notes |\n|---|---|---|---|\n")
        out.append("\n".join(_schema_rows(nested[name], nested)) + "\n")
    return "".join(out)


def _first_paragraph(doc: str | None) -> str:
    """A docstring's first paragraph on one line."""
    return " ".join(line.strip() for line in (doc or "").strip().split("\n\n")[0].splitlines())


def main() -> int:
    DOC_PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC_PATH}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
