"""The CloudEvents 1.0 HTTP binding, receiving side: a request's headers and JSON body -> one event.

Binary mode: the attributes are `ce-<name>` headers (percent-encoded, possibly double-quoted) and
the body is the event data, sent as `application/json`. Structured mode: the body is the whole
event as `application/cloudevents+json`, attributes and `data` side by side. Batched mode
(`application/cloudevents-batch+json`) is not among CONTENT_TYPES.

Written here rather than taken from the CloudEvents SDK: a receiver of JSON events needs only these
few lines of the binding, and the SDK neither unquotes double-quoted header values nor rejects
percent-encoded bytes that are not UTF-8, both of which the binding requires.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

JSON = "application/json"
STRUCTURED = "application/cloudevents+json"
CONTENT_TYPES = (JSON, STRUCTURED)
REQUIRED = ("specversion", "id", "source", "type")
HEADER_PREFIX = "ce-"


class NotACloudEvent(ValueError):
    """The request does not carry one CloudEvent; `field` names the attribute or part at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CloudEvent:
    attributes: dict[str, str]  # specversion, id, source, type (always), time, subject, ... (if sent)
    data: object


def _header_value(name: str, value: str) -> str:
    """A `ce-` header's value: quoted-string unescaped (RFC 7230 3.2.6), then one round of percent-decoding."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
    try:
        return unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise NotACloudEvent(name, "percent-encoded bytes are not UTF-8") from None


def _binary(headers: Iterable[tuple[str, str]], body: object) -> CloudEvent:
    attributes = {}
    for name, value in headers:
        name = name.lower()
        if name.startswith(HEADER_PREFIX) and name != "ce-datacontenttype":
            attributes[name[len(HEADER_PREFIX):]] = _header_value(name, value)
    return CloudEvent(attributes, body)


def _structured(body: object) -> CloudEvent:
    if not isinstance(body, dict):
        raise NotACloudEvent("body", "a structured-mode event must be a JSON object")
    if "data_base64" in body:
        raise NotACloudEvent("data_base64", "binary data is not accepted; send the event data as JSON in `data`")
    attributes = {name: value for name, value in body.items() if name != "data"}
    for name, value in attributes.items():
        if not isinstance(value, str):
            raise NotACloudEvent(name, f"must be a string, got {type(value).__name__}")
    return CloudEvent(attributes, body.get("data"))


def from_http(headers: Iterable[tuple[str, str]], content_type: str, body: object) -> CloudEvent:
    """The event of a request whose body is already parsed JSON; NotACloudEvent when it carries none."""
    event = _structured(body) if content_type == STRUCTURED else _binary(headers, body)
    prefix = "" if content_type == STRUCTURED else HEADER_PREFIX
    for name in REQUIRED:
        if not event.attributes.get(name):
            raise NotACloudEvent(prefix + name, "is required")
    return event
