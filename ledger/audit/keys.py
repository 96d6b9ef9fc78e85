"""Ed25519 log keys and signed-note verifier keys (https://c2sp.org/signed-note).

Trust: the private key *is* the log's identity. Whoever holds it can sign a
checkpoint for a rewritten history; only auditors or witnesses comparing
checkpoints with consistency proofs would notice. Keep it out of the database
and the repository, and readable by the signing process alone. The verifier
key is public but must reach auditors out of band (documentation, release
notes, a witness's configuration): one fetched from the log server itself
proves nothing, since that server could substitute its own.

A verifier key string is ``<name>+<key ID as 8 hex digits>+<base64(0x01 || 32-byte public key)>``,
where the key ID is the first four bytes of
SHA-256(name || 0x0A || 0x01 || public key), read big-endian.
"""

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE_TYPE_ED25519 = 0x01

_PUBLIC_KEY_SIZE = 32
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def save_private_key(private_key: Ed25519PrivateKey, path: Path, password: bytes | None = None) -> None:
    """Write a PKCS#8 PEM file readable by its owner only; never overwrite one."""
    encryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    # O_EXCL: silently replacing a log key would orphan every checkpoint signed so far.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)


def load_private_key(path: Path, password: bytes | None = None) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds a {type(key).__name__}, not an Ed25519 private key")
    return key


def check_key_name(name: str) -> None:
    """Signed-note key names: non-empty, no Unicode spaces, no '+'."""
    if not name or "+" in name or any(char.isspace() or char < " " for char in name):
        raise ValueError(f"invalid key name {name!r}: it must be non-empty, without spaces, '+' or control characters")


def _raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_hash(name: str, public_key: Ed25519PublicKey) -> int:
    """The signed-note key ID of an Ed25519 key, as an unsigned 32-bit integer."""
    encoded = bytes([SIGNATURE_TYPE_ED25519]) + _raw_public_key(public_key)
    return int.from_bytes(hashlib.sha256(name.encode("utf-8") + b"\n" + encoded).digest()[:4], "big")


@dataclass(frozen=True)
class VerifierKey:
    name: str
    public_key: Ed25519PublicKey

    def __post_init__(self) -> None:
        check_key_name(self.name)

    @property
    def key_hash(self) -> int:
        return key_hash(self.name, self.public_key)

    def encode(self) -> str:
        encoded = bytes([SIGNATURE_TYPE_ED25519]) + _raw_public_key(self.public_key)
        return f"{self.name}+{self.key_hash:08x}+{base64.b64encode(encoded).decode('ascii')}"


def encode_verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    return VerifierKey(name, public_key).encode()


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse a verifier key string, checking that its key ID matches its key."""
    # The name cannot hold '+', and neither can the hex ID; base64 can.
    name, _, rest = text.partition("+")
    key_id, _, key_b64 = rest.partition("+")
    try:
        check_key_name(name)
        encoded = base64.b64decode(key_b64, validate=True)
    except (ValueError, binascii.Error) as error:
        raise ValueError(f"malformed verifier key {text!r}: {error}") from None
    if not _HEX_KEY_ID.fullmatch(key_id) or base64.b64encode(encoded).decode("ascii") != key_b64:
        raise ValueError(f"malformed verifier key {text!r}")
    if len(encoded) != 1 + _PUBLIC_KEY_SIZE or encoded[0] != SIGNATURE_TYPE_ED25519:
        raise ValueError(f"verifier key {text!r} is not a {_PUBLIC_KEY_SIZE}-byte Ed25519 key (type 0x01)")
    verifier = VerifierKey(name, Ed25519PublicKey.from_public_bytes(encoded[1:]))
    if verifier.key_hash != int(key_id, 16):
        raise ValueError(f"verifier key {text!r} has key ID {key_id}, but its key hashes to {verifier.key_hash:08x}")
    return verifier
