"""Signed notes, against the known answers of golang.org/x/mod/sumdb/note."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit.keys import VerifierKey, generate_private_key, parse_verifier_key
from ledger.audit.note import MAX_SIGNATURES, NoteError, NoteSignature, sign_note, split_note, verify_note

PETER_KEY = Ed25519PrivateKey.from_private_bytes(base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:])
PETER = parse_verifier_key("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
ENOCH = parse_verifier_key("EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop")
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_B64 = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
PETER_SIG = f"— PeterNeumann {PETER_B64}\n"
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"


def test_sign_known_answer() -> None:
    assert sign_note(TEXT, PETER_KEY, "PeterNeumann") == TEXT + "\n" + PETER_SIG


def test_verify_with_either_of_two_signers() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert verify_note(note, PETER) == TEXT
    assert verify_note(note, ENOCH) == TEXT


def test_split_note_does_not_verify() -> None:
    text, signatures = split_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG)
    assert text == TEXT
    assert [(s.key_name, s.key_hash) for s in signatures] == [("PeterNeumann", 0xC74F20A3), ("EnochRoot", 0xAF0CFE78)]
    assert all(isinstance(s, NoteSignature) and len(s.signature) == 64 for s in signatures)


def test_unknown_keys_are_ignored_but_one_trusted_signature_is_required() -> None:
    stranger = VerifierKey("PeterNeumann", generate_private_key().public_key())  # same name, other key
    with pytest.raises(NoteError, match="no signature by key PeterNeumann"):
        verify_note(TEXT + "\n" + PETER_SIG, stranger)
    with pytest.raises(NoteError, match="no signature by key EnochRoot"):
        verify_note(TEXT + "\n" + PETER_SIG, ENOCH)


def test_an_invalid_signature_from_the_trusted_key_rejects_the_note() -> None:
    prefix = "— PeterNeumann "
    signature = PETER_SIG[len(prefix) : -1]
    lengthened = prefix + signature[:43] + "ABCD" + signature[43:] + "\n"
    with pytest.raises(NoteError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        verify_note(TEXT + "\n" + lengthened, PETER)
    flipped = bytearray(base64.b64decode(signature))
    flipped[10] ^= 1
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(TEXT + "\n" + prefix + base64.b64encode(flipped).decode() + "\n", PETER)
    # A good signature does not excuse a bad one by the same key.
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(TEXT + "\n" + PETER_SIG + lengthened, PETER)


def test_changed_text_fails() -> None:
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(TEXT.replace("answer", "Answer") + "\n" + PETER_SIG, PETER)


@pytest.mark.parametrize(
    "note",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        "\udcff" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + f"— Bad Name {PETER_B64}\n",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + "— PeterNeumann \n",
        TEXT + "\n" + "— PeterNeumann AAAAAA==\n",
        TEXT + "\n" + "- PeterNeumann " + PETER_SIG[len("— PeterNeumann ") :],
        TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1),
    ],
    ids=[
        "no blank line",
        "no signatures",
        "no final newline",
        "control character",
        "not UTF-8",
        "space in key name",
        "line after signatures",
        "empty signature",
        "signature too short",
        "hyphen instead of em dash",
        "too many signatures",
    ],
)
def test_malformed_notes(note: str) -> None:
    with pytest.raises(NoteError, match="malformed"):
        verify_note(note, PETER)


def test_sign_refuses_bad_input() -> None:
    with pytest.raises(NoteError, match="newline"):
        sign_note("abc", PETER_KEY, "PeterNeumann")
    with pytest.raises(NoteError, match="control"):
        sign_note("a\tb\n", PETER_KEY, "PeterNeumann")
    with pytest.raises(ValueError, match="invalid key name"):
        sign_note(TEXT, PETER_KEY, "a+b")


def test_text_may_contain_blank_lines() -> None:
    # The signatures start after the *last* blank line.
    text = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    note = sign_note(text, PETER_KEY, "PeterNeumann")
    assert verify_note(note, PETER) == text
    assert split_note(note)[0] == text
