"""The audit sub-commands, end to end on a store named by LEDGER_DB, as an operator and an auditor run them."""

from __future__ import annotations

import argparse

import orjson
import pytest

from api.audit_cli import add_commands, main
from tests.integration.audit.tamper import Tamper


@pytest.fixture
def cli_env(store, trail, monkeypatch):
    monkeypatch.setenv("LEDGER_DB", store.url)
    if store.cipher_key:
        monkeypatch.setenv("CIPHER_KEY", store.cipher_key)
    else:
        monkeypatch.delenv("CIPHER_KEY", raising=False)
    return trail


def test_operator_and_auditor_commands(store, cli_env, tmp_path, capsys):
    trail = cli_env
    assert main(["checkpoint"]) == 0
    note = capsys.readouterr().out
    (tmp_path / "checkpoint.txt").write_text(note)
    assert main(["public-key"]) == 0
    key = capsys.readouterr().out.strip()
    assert key == trail.public_key()["verifier_key"]
    (tmp_path / "key.txt").write_text(key + "\n")

    assert main(["proof", "inclusion", "--index", "7"]) == 0
    proof = orjson.loads(capsys.readouterr().out)
    assert proof["verified_against_checkpoint"] is True and proof["size"] == trail.size()
    assert main(["proof", "consistency", "--from", "3", "--to", str(trail.size())]) == 0
    assert orjson.loads(capsys.readouterr().out)["proof"]
    assert main(["proof", "inclusion", "--index", "7", "--size", "100000"]) == 2

    assert main(["mirror", "--output", str(tmp_path / "mirror.ndjson")]) == 0
    args = ["verify-mirror", "--key", str(tmp_path / "key.txt"), "--checkpoint", str(tmp_path / "checkpoint.txt"),
            "--mirror", str(tmp_path / "mirror.ndjson")]
    capsys.readouterr()
    assert main(args) == 0
    assert orjson.loads(capsys.readouterr().out)["size"] == trail.size()
    lines = (tmp_path / "mirror.ndjson").read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"version":1', b'"version":2')
    (tmp_path / "mirror.ndjson").write_bytes(b"".join(lines))
    assert main(args) == 1
    assert "REJECTED" in capsys.readouterr().err

    assert main(["verify", "--no-progress", "--json"]) == 0
    assert orjson.loads(capsys.readouterr().out)["ok"] is True
    with Tamper(store) as t:
        t.delete(trail.leaf(12)["notification_id"])
    assert main(["verify", "--no-progress", "--json", "--no-projections"]) == 1
    assert orjson.loads(capsys.readouterr().out)["first_bad_position"] == 12


def test_commands_plug_into_another_parser():
    parser = argparse.ArgumentParser(prog="ledger")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init").set_defaults(func=lambda args: 0)
    add_commands(sub)
    assert {"init", "checkpoint", "verify", "proof", "public-key", "mirror", "verify-mirror"} <= set(sub.choices)
    args = parser.parse_args(["proof", "consistency", "--from", "2", "--to", "9"])
    assert (args.first, args.second) == (2, 9) and callable(args.func)
    assert parser.parse_args(["init"]).func(None) == 0  # other commands are left as they were


def test_mirror_of_a_store_with_a_deleted_row_ends_in_one_line(store, cli_env, tmp_path, capsys):
    trail = cli_env
    assert main(["checkpoint"]) == 0
    with Tamper(store) as t:
        t.delete(trail.leaf(40)["notification_id"])
    capsys.readouterr()
    assert main(["mirror", "--output", str(tmp_path / "mirror.ndjson")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("ledger: mirror stopped:") and "position 40" in err and "ledger verify" in err
