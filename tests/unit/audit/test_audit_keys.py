import base64
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit.keys import (
    VerifierKey,
    check_key_name,
    encode_verifier_key,
    generate_private_key,
    key_hash,
    load_private_key,
    parse_verifier_key,
    save_private_key,
)

# Known answers from golang.org/x/mod/sumdb/note's tests: the signer key
# "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
# holds 0x01 || Ed25519 seed, and this is its verifier key.
PETER_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"


def raw(public_key: object) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_key_hash_known_answer() -> None:
    public_key = Ed25519PrivateKey.from_private_bytes(PETER_SEED).public_key()
    assert key_hash("PeterNeumann", public_key) == 0xC74F20A3
    assert encode_verifier_key("PeterNeumann", public_key) == PETER_VKEY


def test_key_hash_is_the_signed_note_formula() -> None:
    public_key = generate_private_key().public_key()
    digest = hashlib.sha256(b"example.com/log\n\x01" + raw(public_key)).digest()
    assert key_hash("example.com/log", public_key) == int.from_bytes(digest[:4], "big")


@pytest.mark.parametrize("vkey", [PETER_VKEY, ENOCH_VKEY])
def test_verifier_key_round_trip(vkey: str) -> None:
    parsed = parse_verifier_key(vkey)
    assert parsed.name == vkey.split("+")[0]
    assert parsed.key_hash == int(vkey.split("+")[1], 16)
    assert parsed.encode() == vkey
    assert raw(parsed.public_key) == base64.b64decode(vkey.split("+", 2)[2])[1:]


def test_generated_key_round_trip() -> None:
    public_key = generate_private_key().public_key()
    vkey = encode_verifier_key("incident-ledger.example/log", public_key)
    parsed = parse_verifier_key(vkey)
    assert parsed == VerifierKey("incident-ledger.example/log", public_key)


def test_every_mangled_verifier_key_is_refused() -> None:
    # Mirrors TestNewVerifier in golang.org/x/mod/sumdb/note.
    for start in range(len(PETER_VKEY) + 1):
        for end in range(start + 1, len(PETER_VKEY) + 1):
            if (start, end) != (0, len(PETER_VKEY)):
                with pytest.raises(ValueError):
                    parse_verifier_key(PETER_VKEY[start:end])
    for position in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:position] + chr(ord(PETER_VKEY[position]) + 1) + PETER_VKEY[position + 1 :]
        with pytest.raises(ValueError):
            parse_verifier_key(mangled)


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        # Go's wrong-length and unknown-algorithm keys, each with a key ID that matches
        # its bytes; the first is also non-canonical base64, refused before its length.
        ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", "malformed"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not a 32-byte Ed25519"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "hashes to c74f20a3"),
        ("PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "malformed"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid key name"),
    ],
)
def test_specific_verifier_key_errors(vkey: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_verifier_key(vkey)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\tb", "a\x01b", "a\nb"])
def test_invalid_key_names(name: str) -> None:
    with pytest.raises(ValueError, match="invalid key name"):
        check_key_name(name)
    with pytest.raises(ValueError, match="invalid key name"):
        VerifierKey(name, generate_private_key().public_key())


def test_save_and_load_private_key(tmp_path: Path) -> None:
    key = generate_private_key()
    path = tmp_path / "log.pem"
    save_private_key(key, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert raw(load_private_key(path).public_key()) == raw(key.public_key())
    with pytest.raises(FileExistsError):
        save_private_key(generate_private_key(), path)
    assert raw(load_private_key(path).public_key()) == raw(key.public_key())


def test_save_and_load_encrypted_private_key(tmp_path: Path) -> None:
    key = generate_private_key()
    path = tmp_path / "log.pem"
    save_private_key(key, path, password=b"correct horse")
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert raw(load_private_key(path, password=b"correct horse").public_key()) == raw(key.public_key())
    with pytest.raises(ValueError):
        load_private_key(path, password=b"wrong")


def test_load_refuses_other_key_types(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(ValueError, match="not an Ed25519 private key"):
        load_private_key(path)


@pytest.mark.parametrize("encoded", [b"\x01" + bytes(31), b"\x01" + bytes(33), b"\x04" + bytes(32), b""])
def test_keys_of_other_types_or_sizes_are_refused(encoded: bytes) -> None:
    key_id = hashlib.sha256(b"PeterNeumann\n" + encoded).digest()[:4].hex()
    with pytest.raises(ValueError, match="not a 32-byte Ed25519"):
        parse_verifier_key(f"PeterNeumann+{key_id}+{base64.b64encode(encoded).decode()}")
