import base64
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import ledger.audit.checkpoint
from ledger.audit.checkpoint import Checkpoint, CheckpointError, parse_note, sign_checkpoint, verify_checkpoint
from ledger.audit.hasher import EMPTY_ROOT
from ledger.audit.keys import VerifierKey, encode_verifier_key, generate_private_key, key_hash, parse_verifier_key
from ledger.audit.note import NoteError, sign_note

ORIGIN = "incident-ledger.example/log"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
VERIFIER = VerifierKey(ORIGIN, KEY.public_key())
ROOT = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
ROOT_B64 = base64.b64encode(ROOT).decode()
TIME = datetime(2026, 11, 25, 16, 31, 14, tzinfo=UTC)
CHECKPOINT = Checkpoint(ORIGIN, 8, ROOT, TIME)
NOTE = (
    "incident-ledger.example/log\n"
    "8\n"
    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    "time 2026-11-25T16:31:14Z\n"
    "\n"
    "— incident-ledger.example/log "
    "d/+j4AKwJweMkLYaql7dSeS5alqRM23PP0Nd29Yq63ePnbfE6Vt4yvPr4gfpfr5YWNLY1xl6LhxNxNTzuIMnDJhw5wM=\n"
)


def test_known_answer_note() -> None:
    # Ed25519 is deterministic, so the whole note is fixed; the module docstring quotes it.
    assert sign_checkpoint(CHECKPOINT, KEY, ORIGIN) == NOTE
    assert NOTE.split("\n\n")[0] in ledger.audit.checkpoint.__doc__.replace("\n    ", "\n")
    assert encode_verifier_key(ORIGIN, KEY.public_key()) in ledger.audit.checkpoint.__doc__


def test_signature_line_layout() -> None:
    name, encoded = NOTE.split("\n\n")[1].removeprefix("— ").rstrip("\n").split(" ")
    raw = base64.b64decode(encoded)
    assert name == ORIGIN
    assert len(raw) == 4 + 64
    assert int.from_bytes(raw[:4], "big") == key_hash(ORIGIN, KEY.public_key())


@pytest.mark.parametrize("time", [TIME, TIME.astimezone(timezone(timedelta(hours=-5))), None])
def test_round_trip(time: datetime | None) -> None:
    checkpoint = Checkpoint(ORIGIN, 8, ROOT, time)
    note = sign_checkpoint(checkpoint, KEY, ORIGIN)
    assert verify_checkpoint(note, VERIFIER) == checkpoint
    assert verify_checkpoint(note, parse_verifier_key(VERIFIER.encode())) == checkpoint
    parsed, signatures = parse_note(note)
    assert parsed == checkpoint
    assert [(s.key_name, s.key_hash) for s in signatures] == [(ORIGIN, VERIFIER.key_hash)]


def test_empty_tree_without_time() -> None:
    checkpoint = Checkpoint(ORIGIN, 0, EMPTY_ROOT)
    assert checkpoint.body() == f"{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert verify_checkpoint(sign_checkpoint(checkpoint, KEY, ORIGIN), VERIFIER) == checkpoint


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\n8\n", "\n9\n"),
        ("XcnaeacG", "XcnaeacH"),
        ("incident-ledger.example/log\n8", "incident-ledger.example/lag\n8"),
        ("16:31:14Z", "16:31:15Z"),
        ("d/+j4AKw", "d/+j4AKx"),
        ("\ntime 2026-11-25T16:31:14Z\n", "\n"),
    ],
    ids=["size", "root", "origin", "time", "signature", "time removed"],
)
def test_tampering_is_detected(old: str, new: str) -> None:
    assert old in NOTE
    with pytest.raises(NoteError, match="invalid signature"):
        verify_checkpoint(NOTE.replace(old, new, 1), VERIFIER)


def test_wrong_key_is_rejected() -> None:
    impostor = VerifierKey(ORIGIN, generate_private_key().public_key())
    with pytest.raises(NoteError, match="no signature by key"):
        verify_checkpoint(NOTE, impostor)
    forged = sign_checkpoint(CHECKPOINT, generate_private_key(), ORIGIN)
    with pytest.raises(NoteError, match="no signature by key"):
        verify_checkpoint(forged, VERIFIER)


def test_checkpoint_of_another_log_signed_by_the_same_key_is_rejected() -> None:
    other = Checkpoint("other.example/log", 8, ROOT)
    note = sign_checkpoint(other, KEY, ORIGIN)
    with pytest.raises(CheckpointError, match=re.escape("expected 'incident-ledger.example/log'")):
        verify_checkpoint(note, VERIFIER)
    assert verify_checkpoint(note, VERIFIER, origin="other.example/log") == other


def test_cosignatures_from_other_keys_are_ignored() -> None:
    witness = sign_note(CHECKPOINT.body(), generate_private_key(), "witness.example/w1")
    cosigned = NOTE + witness.split("\n\n")[1]
    assert verify_checkpoint(cosigned, VERIFIER) == CHECKPOINT
    assert len(parse_note(cosigned)[1]) == 2


HEAD = f"{ORIGIN}\n8\n{ROOT_B64}\n"
MALFORMED_BODIES = {
    "no final newline": HEAD[:-1],
    "two lines": f"{ORIGIN}\n8\n",
    "empty origin": f"\n8\n{ROOT_B64}\n",
    "leading zero": f"{ORIGIN}\n08\n{ROOT_B64}\n",
    "plus sign": f"{ORIGIN}\n+8\n{ROOT_B64}\n",
    "space": f"{ORIGIN}\n 8\n{ROOT_B64}\n",
    "non-ASCII digit": f"{ORIGIN}\n\u0668\n{ROOT_B64}\n",
    "underscore": f"{ORIGIN}\n1_0\n{ROOT_B64}\n",
    "size beyond uint64": f"{ORIGIN}\n{2**64}\n{ROOT_B64}\n",
    "unpadded root": f"{ORIGIN}\n8\n{ROOT_B64.rstrip('=')}\n",
    "non-canonical root": f"{ORIGIN}\n8\n{ROOT_B64[:-2]}h=\n",
    "31-byte root": f"{ORIGIN}\n8\n{base64.b64encode(ROOT[:31]).decode()}\n",
    "unknown extension": HEAD + "other extension\n",
    "two time lines": HEAD + "time 2026-11-25T16:31:14Z\ntime 2026-11-25T16:31:14Z\n",
    "fractional seconds": HEAD + "time 2026-11-25T16:31:14.5Z\n",
    "numeric offset": HEAD + "time 2026-11-25T16:31:14+00:00\n",
    "month 13": HEAD + "time 2026-13-25T16:31:14Z\n",
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
def test_malformed_checkpoint_bodies(body: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_body(body)
    if body.endswith("\n"):
        # A valid signature does not make a malformed body acceptable.
        with pytest.raises(CheckpointError):
            verify_checkpoint(sign_note(body, KEY, ORIGIN), VERIFIER)


@pytest.mark.parametrize(
    "fields",
    [
        {"origin": ""},
        {"origin": "two\nlines"},
        {"size": -1},
        {"size": 2**64},
        {"size": True},
        {"root_hash": ROOT[:31]},
        {"time": datetime(2026, 11, 25)},
        {"time": TIME.replace(microsecond=1)},
    ],
    ids=repr,
)
def test_invalid_checkpoints_cannot_be_built(fields: dict) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(**{"origin": ORIGIN, "size": 8, "root_hash": ROOT, "time": TIME, **fields})


def test_checkpoint_errors_are_note_errors() -> None:
    assert issubclass(CheckpointError, NoteError)
    assert issubclass(NoteError, ValueError)
