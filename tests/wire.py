"""Check Kafka records against the AsyncAPI documents: the headers, key and value of a documented message."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from dimm.platform import build_service

#: The official JSON schema of AsyncAPI 3.0.0 (`@asyncapi/specs` 6.11.1, Apache-2.0: see its LICENSE).
SPEC = Path(__file__).parent / "asyncapi" / "asyncapi-3.0.0.schema.json"
DOCUMENT_URI = "urn:dimm:asyncapi"
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _rfc3339(value: object) -> bool:
    """Check a date-time as RFC 3339 wants it: with its offset (whatever optional packages are installed)."""
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@dataclass(frozen=True)
class Record:
    """A consumed Kafka record, as aiokafka hands it over."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


@cache
def spec_validator() -> Draft7Validator:
    """Return a validator of AsyncAPI 3.0.0 documents (offline: the schema embeds its definitions)."""
    return Draft7Validator(json.loads(SPEC.read_text()))


def asyncapi(service: str) -> dict[str, Any]:
    """Return a service's AsyncAPI document, built without I/O."""
    document: dict[str, Any] = build_service(service, environment="development").state.runtime.asyncapi()
    return document


def message_named(document: dict[str, Any], event_type: str) -> str:
    """Return the name of the component message of an event type."""
    [name] = [n for n, m in document["components"]["messages"].items() if m.get("name") == event_type]
    return name


def _json_or_text(value: bytes) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value.decode("utf-8", "replace")  # a string: no event payload schema takes it


class Documented:
    """Validators of one documented message: its headers, its key and its payload."""

    def __init__(self, document: dict[str, Any], name: str) -> None:
        resource = Resource.from_contents(document, default_specification=DRAFT7)
        registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        message = f"{DOCUMENT_URI}#/components/messages/{name}"
        self.name = name
        self.message = document["components"]["messages"][name]
        self._headers, self._key, self._payload = (
            Draft7Validator({"$ref": f"{message}/{part}"}, registry=registry, format_checker=FORMATS)
            for part in ("headers", "bindings/kafka/key", "payload")
        )

    def errors(self, headers: Sequence[tuple[str, bytes]], key: bytes | None, value: bytes) -> list[str]:
        """List what in a record disagrees with the message (header values and key read as UTF-8)."""
        names = [name for name, _ in headers]
        found = [f"header {name} repeated" for name in sorted(set(names)) if names.count(name) > 1]
        decoded = {name: raw.decode("utf-8", "replace") for name, raw in headers}
        checks = (
            (self._headers, decoded, "headers"),
            (self._key, None if key is None else key.decode("utf-8", "replace"), "key"),
            (self._payload, _json_or_text(value), "payload"),
        )
        for validator, instance, part in checks:
            found += [f"{part}: {e.json_path}: {e.message}" for e in validator.iter_errors(instance)]
        return found

    def example_errors(self) -> list[str]:
        """List what in the message's examples disagrees with its headers, key and payload schemas."""
        found: list[str] = []
        for example in self.message.get("examples", []):
            found += [f"headers: {e.message}" for e in self._headers.iter_errors(example["headers"])]
            found += [f"payload: {e.message}" for e in self._payload.iter_errors(example["payload"])]
        for key in self.message["bindings"]["kafka"]["key"].get("examples", []):
            found += [f"key: {e.message}" for e in self._key.iter_errors(key)]
        return found
