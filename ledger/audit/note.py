"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures.

A note is text ending in a newline, a blank line, then one line per signature:
``— <key name> <base64(4-byte key ID || 64-byte signature)>`` (U+2014, em dash).
The signature covers the text including its final newline.

Parsing follows golang.org/x/mod/sumdb/note: the text ends at the *last* blank
line, only newline may appear among ASCII control characters, and signatures
from unknown keys are ignored (that is how witnesses co-sign and keys rotate).
Verification is stricter than that package in one way the spec asks for:
every signature claiming the trusted key's name and ID must verify.
"""

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit.keys import VerifierKey, check_key_name, key_hash

MAX_SIGNATURES = 100
"""Bounds parsing work; the spec requires accepting at least 16."""

_SIGNATURE_PREFIX = "— "


class NoteError(ValueError):
    """A note is malformed or lacks a valid signature by the trusted key."""


@dataclass(frozen=True)
class NoteSignature:
    key_name: str
    key_hash: int
    signature: bytes
    """The signature proper, without the 4-byte key ID."""


def sign_note(text: str, private_key: Ed25519PrivateKey, key_name: str) -> str:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_characters(text)
    check_key_name(key_name)
    key_id = key_hash(key_name, private_key.public_key())
    signature = key_id.to_bytes(4, "big") + private_key.sign(text.encode("utf-8"))
    return f"{text}\n{_SIGNATURE_PREFIX}{key_name} {base64.b64encode(signature).decode('ascii')}\n"


def split_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Separate text and signatures without verifying anything.

    The text is untrusted until verify_note accepts it.
    """
    _check_characters(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("malformed note: no signature lines, or the last one lacks its newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return text, [_parse_signature_line(line) for line in lines]


def verify_note(note: str, verifier_key: VerifierKey) -> str:
    """Return the note's text if verifier_key signed it; raise NoteError otherwise."""
    text, signatures = split_note(note)
    message = text.encode("utf-8")
    expected_hash = verifier_key.key_hash
    verified = False
    for signature in signatures:
        if signature.key_name != verifier_key.name or signature.key_hash != expected_hash:
            continue
        try:
            verifier_key.public_key.verify(signature.signature, message)
        except InvalidSignature:
            raise NoteError(f"invalid signature for key {verifier_key.name}+{expected_hash:08x}") from None
        verified = True
    if not verified:
        raise NoteError(f"note has no signature by key {verifier_key.name}+{expected_hash:08x}")
    return text


def _check_characters(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError("malformed note: not valid UTF-8") from None
    if any(char < " " and char != "\n" for char in text):
        raise NoteError("malformed note: control characters other than newline")


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise NoteError(f"malformed signature line {line!r}: it must start with an em dash and a space")
    name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    try:
        check_key_name(name)
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise NoteError(f"malformed signature line {line!r}") from None
    if len(raw) < 5:
        raise NoteError(f"malformed signature line {line!r}: signature too short")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])
