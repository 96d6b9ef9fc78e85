"""RFC 9162 proof vectors from transparency-dev/merkle, read from the shared folder.

They live outside the repository (see <repo>/../shared/test-vectors/rfc9162/README.md)
and must not be copied in; the cases skip only when that folder is absent.
"""

import base64
import json
import os
from pathlib import Path

import pytest

from ledger.audit.hasher import hash_leaf
from ledger.audit.proof import consistency_proof, inclusion_proof
from ledger.audit.tree import MemoryNodeStore, append_leaf, root_of_size
from ledger.audit.proof_check import ProofError, verify_consistency, verify_inclusion

REPO_ROOT = Path(__file__).resolve().parents[3]
VECTORS = Path(os.environ.get("LEDGER_SHARED_DIR", REPO_ROOT.parent / "shared")) / "test-vectors" / "rfc9162"

# The leaves of the Certificate Transparency test tree, from which the numbered
# vector folders were generated.
CT_LEAVES = [
    bytes.fromhex(value)
    for value in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]


def vector_cases(kind: str) -> list:
    folder = VECTORS / kind
    if not folder.is_dir():
        reason = f"RFC 9162 test vectors not found at {folder} (set LEDGER_SHARED_DIR)"
        return [pytest.param(None, id=f"{kind}-absent", marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(path, id=path.relative_to(VECTORS).as_posix()) for path in sorted(folder.glob("*/*.json"))]


def decode(value: str | None) -> bytes:
    return b"" if value is None else base64.b64decode(value)


def decode_proof(values: list[str] | None) -> list[bytes]:
    return [decode(value) for value in values or []]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", vector_cases("inclusion"))
def test_inclusion_vector(path: Path) -> None:
    vector = load(path)
    args = (
        decode(vector["leafHash"]),
        vector["leafIdx"],
        vector["treeSize"],
        decode_proof(vector["proof"]),
        decode(vector["root"]),
    )
    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", vector_cases("consistency"))
def test_consistency_vector(path: Path) -> None:
    vector = load(path)
    args = (
        vector["size1"],
        vector["size2"],
        decode_proof(vector["proof"]),
        decode(vector["root1"]),
        decode(vector["root2"]),
    )
    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_vector_folders_are_not_empty() -> None:
    if not VECTORS.is_dir():
        pytest.skip(f"RFC 9162 test vectors not found at {VECTORS} (set LEDGER_SHARED_DIR)")
    for kind in ("inclusion", "consistency"):
        outcomes = {load(path)["wantErr"] for path in (VECTORS / kind).glob("*/*.json")}
        assert outcomes == {True, False}, f"{kind} vectors should include both passing and failing cases"


def test_generated_proofs_equal_the_happy_path_vectors() -> None:
    """The numbered folders come from the CT tree, so our prover must reproduce them."""
    if not VECTORS.is_dir():
        pytest.skip(f"RFC 9162 test vectors not found at {VECTORS} (set LEDGER_SHARED_DIR)")
    store = MemoryNodeStore()
    for leaf in CT_LEAVES:
        store.put_many(append_leaf(store, hash_leaf(leaf)))
    happy = sorted(VECTORS.glob("inclusion/[0-9]*/happy-path.json"))
    assert happy
    for path in happy:
        vector = load(path)
        index, size = vector["leafIdx"], vector["treeSize"]
        assert store.get(0, index) == decode(vector["leafHash"]), path
        assert root_of_size(store, size) == decode(vector["root"]), path
        assert inclusion_proof(store, index, size) == decode_proof(vector["proof"]), path
    happy = sorted(VECTORS.glob("consistency/[0-9]*/happy-path.json"))
    assert happy
    for path in happy:
        vector = load(path)
        size1, size2 = vector["size1"], vector["size2"]
        assert root_of_size(store, size1) == decode(vector["root1"]), path
        assert root_of_size(store, size2) == decode(vector["root2"]), path
        assert consistency_proof(store, size1, size2) == decode_proof(vector["proof"]), path


def test_vectors_are_present_in_ci() -> None:
    """CI always has ../shared; a missing folder there means the vectors silently stopped running."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        assert VECTORS.is_dir(), f"CI=true but the RFC 9162 vectors are missing at {VECTORS}"
