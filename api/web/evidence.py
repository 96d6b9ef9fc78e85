"""A cited document's SHA-256 from the citation form's file, hashed as it streams past, kept nowhere.

With JavaScript the browser hashes the chosen file itself and sends only the hash
(static/evidence.js); without it the form posts the file as multipart/form-data, and this
module reads that body chunk by chunk: the file's bytes go into the hash and nowhere else (no
part object, no temporary file), the other fields are kept as text. The body is bounded by the
body guard (api/guard.py, ``EVIDENCE_PATH``), which answers 413 past it.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from email.message import Message
from typing import Any

from api.problems import ApiProblem

#: The form's file field.
FILE = "document"


def _header_params(lines: bytes) -> tuple[str | None, str | None]:
    """A part's (name, filename) from its headers."""
    message = Message()
    for line in lines.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "content-disposition":
            message["content-disposition"] = value.strip()
    name, filename = message.get_param("name", header="content-disposition"), message.get_filename()
    return (name if isinstance(name, str) else None), filename


async def read(content_type: str, chunks: AsyncIterator[bytes]) -> tuple[list[tuple[str, str]], str | None]:
    """The form's text fields, and the SHA-256 of its file (None when no file was chosen: a browser
    sends an empty part with an empty file name)."""
    holder = Message()
    holder["content-type"] = content_type
    boundary = holder.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise ApiProblem(400, "the form's multipart body names no boundary", field="body")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    buffer = b"\r\n"  # the first delimiter has no line break before it
    fields: list[tuple[str, str]] = []
    state, name, filename, text, digest, size = "preamble", None, None, bytearray(), None, 0

    def end_part() -> None:
        nonlocal digest
        if name == FILE:
            if filename or size:
                digest = hash_.hexdigest()
        elif name is not None:
            fields.append((name, text.decode("utf-8", "replace")))

    hash_: Any = hashlib.sha256()
    async for chunk in chunks:
        buffer += chunk
        while True:
            if state == "headers":
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    break
                name, filename = _header_params(buffer[:end])
                buffer, state, text, size = buffer[end + 4:], "body", bytearray(), 0
                hash_ = hashlib.sha256()
                continue
            at = buffer.find(delimiter)
            if at < 0:
                keep = len(delimiter) + 1  # a delimiter may straddle two chunks
                if state == "body" and len(buffer) > keep:
                    _take(buffer[:-keep], name, hash_, text)
                    size += len(buffer) - keep
                    buffer = buffer[-keep:]
                break
            rest = buffer[at + len(delimiter):]
            if state == "body":
                _take(buffer[:at], name, hash_, text)
                size += at
            if len(rest) < 2:  # what follows the delimiter is in the next chunk
                buffer = buffer[at:]
                break
            if state == "body":
                end_part()
            if rest[:2] == b"--":
                return fields, digest
            buffer, state = rest[2:], "headers"  # past the delimiter's CRLF
    raise ApiProblem(400, "the form's multipart body ends before its closing boundary", field="body")


def _take(data: bytes, name: str | None, hash_: Any, text: bytearray) -> None:
    if name == FILE:
        hash_.update(data)
    else:
        text.extend(data)
