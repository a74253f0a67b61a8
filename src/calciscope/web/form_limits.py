"""A form field over the app's size limit is refused naming the field (web38); a body over 2 MiB too (fix48).

Starlette refuses a form field over 1 MiB with a 400 "Field exceeded maximum size of 1024KB."
that names no field (a password of a megabyte typed into the sign-in form got it). The app
reads the same bytes as they arrive (:func:`watch_form_fields`, wrapping the ASGI ``receive``
of a form request) and, at the first field over :data:`MAX_FORM_FIELD_BYTES`, raises
:class:`FieldTooLarge`, which the app answers with a 413 naming the field
(:mod:`calciscope.web.app`). A field under the limit but over its own maximum (a password
over 1,024 characters, a reason over 2,000) is a 422 naming it, as every bad value is.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope

__all__ = [
    "ECHOED_CHARACTERS",
    "MAX_BODY_BYTES",
    "MAX_FORM_FIELDS",
    "MAX_FORM_FIELD_BYTES",
    "BodyTooLarge",
    "FieldTooLarge",
    "not_echoed",
    "watch_form_fields",
]

#: A form field's largest size, as sent (encoded), name included for a URL-encoded form:
#: Starlette's own limit of a field, so that it is this module that answers first.
MAX_FORM_FIELD_BYTES = 1024 * 1024

#: A request body's largest size, any content type (fix48): every form and the study upload
#: (256 KiB) fit; a gigabyte of form fields was held by Starlette's parser before its own checks.
MAX_BODY_BYTES = 2 * 1024 * 1024

#: The most fields a form may have (Starlette's own limit is 1,000): the largest form (an image
#: reading with its regions) has far fewer.
MAX_FORM_FIELDS = 200


class FieldTooLarge(Exception):
    """A form field larger than :data:`MAX_FORM_FIELD_BYTES` (``field``: its name, cut)."""

    def __init__(self, field: str, limit: int) -> None:
        super().__init__(f"form field {field!r} is larger than {limit:,} bytes")
        self.field = field[:120] or "(unnamed)"
        self.limit = limit
        self.message = f"larger than {limit:,} bytes, the largest form field this app takes"
        self.summary = f"the form field {self.field} is too large"


class BodyTooLarge(FieldTooLarge):
    """A request body over :data:`MAX_BODY_BYTES`, or a form of more than :data:`MAX_FORM_FIELDS`."""

    def __init__(self, limit: int, *, fields: bool = False) -> None:
        super().__init__("(the request body)", limit)
        if fields:
            self.message = f"more than {limit:,} fields, the most a form of this app has"
            self.summary = "the form has too many fields"
        else:
            self.message = f"larger than {limit:,} bytes, the largest request this app takes"
            self.summary = f"the request is too large (at most {limit:,} bytes)"


class _UrlEncoded:
    """The sizes of a URL-encoded form's fields (``name=value&...``), fed chunk by chunk."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.name = bytearray()
        self.in_value = False
        self.size = 0
        self.fields = 1

    def _too_large(self) -> FieldTooLarge:
        return FieldTooLarge(unquote_plus(bytes(self.name[:400]).decode("latin-1")), self.limit)

    def feed(self, data: bytes) -> None:
        start = 0
        while start < len(data):
            amp = data.find(b"&", start)
            piece = data[start : len(data) if amp < 0 else amp]
            self.size += len(piece)
            if not self.in_value:
                eq = piece.find(b"=")
                self.name += piece if eq < 0 else piece[:eq]
                self.in_value = eq >= 0
                self.size -= eq >= 0  # the "=" is no part of the field
            if self.size > self.limit:
                raise self._too_large()
            if amp < 0:
                return
            self.fields += 1
            if self.fields > MAX_FORM_FIELDS:
                raise BodyTooLarge(MAX_FORM_FIELDS, fields=True)
            self.name, self.in_value, self.size, start = bytearray(), False, 0, amp + 1


class _Multipart:
    """The sizes of a multipart form's text fields (files are not counted), chunk by chunk."""

    def __init__(self, boundary: bytes, limit: int) -> None:
        self.limit = limit
        self.header = bytearray()
        self.value = bytearray()
        self.name = ""
        self.is_file = False
        self.size = 0
        self.fields = 0

        def begin() -> None:
            self.name, self.is_file, self.size = "", False, 0
            self.fields += 1
            if self.fields > MAX_FORM_FIELDS:
                raise BodyTooLarge(MAX_FORM_FIELDS, fields=True)

        def header_field(data: bytes, start: int, end: int) -> None:
            self.header += data[start:end]

        def header_value(data: bytes, start: int, end: int) -> None:
            self.value += data[start:end]

        def header_end() -> None:
            if bytes(self.header).lower() == b"content-disposition":
                _, options = parse_options_header(bytes(self.value))
                self.name = options.get(b"name", b"").decode("utf-8", "replace")
                self.is_file = b"filename" in options
            self.header, self.value = bytearray(), bytearray()

        def data(data: bytes, start: int, end: int) -> None:
            self.size += end - start
            if not self.is_file and self.size > self.limit:
                raise FieldTooLarge(self.name, self.limit)

        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": begin,
                "on_header_field": header_field,
                "on_header_value": header_value,
                "on_header_end": header_end,
                "on_part_data": data,
            },
        )

    def feed(self, data: bytes) -> None:
        self.parser.write(data)


def _reader(content_type: str, limit: int) -> _UrlEncoded | _Multipart | None:
    kind, options = parse_options_header(content_type)
    if kind == b"application/x-www-form-urlencoded":
        return _UrlEncoded(limit)
    if kind == b"multipart/form-data" and options.get(b"boundary"):
        return _Multipart(options[b"boundary"], limit)
    return None


def watch_form_fields(
    scope: Scope,
    receive: Receive,
    limit: int = MAX_FORM_FIELD_BYTES,
    body_limit: int = MAX_BODY_BYTES,
) -> Receive:
    """Return ``receive``, raising when the body passes ``body_limit`` or a form field ``limit``.

    Every content type (JSON too) is counted as its bytes arrive, and a ``Content-Length``
    over ``body_limit`` is refused before any is read (:class:`BodyTooLarge`); a form field
    over ``limit`` is :class:`FieldTooLarge`, a form of more than :data:`MAX_FORM_FIELDS`
    fields :class:`BodyTooLarge`. A body the watch cannot read as a form is left to the form
    parser, which says what is wrong with it.
    """
    headers = Headers(scope=scope)  # as Starlette reads them (the first of a repeated header)
    content_type = headers.get("content-type")
    watching = _reader(content_type, limit) if content_type else None
    declared = headers.get("content-length", "")
    received = 0

    async def watched() -> Message:
        nonlocal watching, received
        if declared.isdigit() and int(declared) > body_limit:
            raise BodyTooLarge(body_limit)
        message = await receive()
        if message.get("type") == "http.request":
            body = message.get("body", b"")
            received += len(body)
            if received > body_limit:
                raise BodyTooLarge(body_limit)
            if watching is not None:
                try:
                    watching.feed(body)
                except FieldTooLarge:
                    raise
                except Exception:  # not a form after all: the parser will say so
                    watching = None
        return message

    return watched


#: The longest refused value a JSON 422 sends back (``input``), as JSON text (fix48).
ECHOED_CHARACTERS = 120


def _masked(value: Any) -> Any:
    """``value`` with the value of every key naming a password, at any depth, not shown."""
    if isinstance(value, dict):
        return {
            k: "(not shown)" if "password" in str(k).lower() else _masked(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


def _echoed(value: Any) -> Any:
    """Return a refused value as a 422 may send it back (no password, short JSON)."""
    value = _masked(value)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = str(value)
    if len(text) <= ECHOED_CHARACTERS:
        return value
    return text[:ECHOED_CHARACTERS] + "…"


def not_echoed(errors: Any) -> list[dict[str, Any]]:
    """Return FastAPI's validation errors without a password and with short ``input`` values.

    FastAPI's 422 JSON sends each refused value back (``input``): a megabyte of password came
    back whole (web38), and, another field missing, ``input`` is the whole body, its password
    too (fix48). A value under a location or key naming a password is "(not shown)", at any
    depth; any other is cut to :data:`ECHOED_CHARACTERS` characters of its JSON (a list or a
    mapping too, not only text).
    """
    shown = []
    for error in errors:
        if "input" in error:
            if any("password" in str(part).lower() for part in error.get("loc", ())):
                error = {**error, "input": "(not shown)"}
            else:
                error = {**error, "input": _echoed(error["input"])}
        shown.append(error)
    return shown
