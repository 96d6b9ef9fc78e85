"""The audit trail's ``ledger`` sub-commands (``add_commands``), also runnable on their own:
``python -m api.audit_cli verify``.

Every command but ``verify-mirror`` works on the store named by LEDGER_DB (and CIPHER_KEY),
through ``Store.from_environment()``. ``verify-mirror`` needs no store, no server and no
cipher key: it is what an auditor runs on a copy of the log.

Exit status: 0 when all is well, 1 when a verification fails, 2 on a usage or set-up error.
"""

from __future__ import annotations

import argparse
import base64
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from api.bootstrap import audit_trail, open_ledger
from ledger.store import Store


def _print_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def _fail(message: str, code: int = 2) -> int:
    print(f"ledger: {message}", file=sys.stderr)
    return code


def cmd_checkpoint(args: argparse.Namespace) -> int:
    from projections.audit.trail import AuditIntegrityError

    with audit_trail(Store.from_environment()) as trail:
        try:
            checkpoint = trail.make_checkpoint()
        except AuditIntegrityError as error:
            return _fail(str(error), 1)
    if checkpoint is None:
        return _fail("the log is empty: nothing to checkpoint", 1)
    sys.stdout.write(checkpoint.note)
    return 0


def _exit_on_sigterm() -> None:
    # A SIGTERM (a service manager stopping us, `kill`) would end the process without running any
    # `finally`; as SystemExit it unwinds, and the scratch store of a rebuild is removed on the way.
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def cmd_verify(args: argparse.Namespace) -> int:
    from projections.audit.replay_check import verify

    _exit_on_sigterm()
    from ledger.audit.keys import parse_verifier_key

    try:
        trusted = _read_key(args.key) if args.key else None
        if trusted is not None:
            parse_verifier_key(trusted)
    except (OSError, ValueError) as error:
        return _fail(f"--key: {error}")
    try:
        held = [Path(name).read_text(encoding="utf-8") for name in args.checkpoint or ()]
    except OSError as error:
        return _fail(f"--checkpoint: {error}")
    store = Store.from_environment()
    ledger = open_ledger(store)
    try:
        report = verify(store, progress=not args.no_progress, catch_up=not args.no_catch_up,
                        projections=not args.no_projections, ledger=ledger, trusted_key=trusted, held=held)
    finally:
        ledger.close()
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.summary())
    return 0 if report.ok else 1


def _decode(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


def cmd_proof_inclusion(args: argparse.Namespace) -> int:
    from ledger.audit.checkpoint import verify_checkpoint
    from ledger.audit.proof_check import verify_inclusion
    from projections.audit.trail import AuditRequestError

    with audit_trail(Store.from_environment()) as trail:
        size = args.size
        if size is None:
            latest = trail.latest_checkpoint()
            size = latest.size if latest else trail.size()
        try:
            proof = trail.inclusion(args.index, size)
        except AuditRequestError as error:
            return _fail(str(error))
        verifier = trail.identity().verifier()
    if proof["checkpoint"]:
        checkpoint = verify_checkpoint(proof["checkpoint"], verifier)
        verify_inclusion(base64.b64decode(proof["leaf_hash"]), args.index, size, _decode(proof["proof"]),
                         checkpoint.root_hash)
        proof["verified_against_checkpoint"] = True
    _print_json(proof)
    return 0


def cmd_proof_consistency(args: argparse.Namespace) -> int:
    from ledger.audit.checkpoint import verify_checkpoint
    from ledger.audit.proof_check import ProofError, verify_consistency
    from projections.audit.trail import AuditRequestError

    with audit_trail(Store.from_environment()) as trail:
        try:
            proof = trail.consistency(args.first, args.second)
        except AuditRequestError as error:
            return _fail(str(error))
        verifier = trail.identity().verifier()
    if proof["first_checkpoint"] and proof["second_checkpoint"]:
        old = verify_checkpoint(proof["first_checkpoint"], verifier)
        new = verify_checkpoint(proof["second_checkpoint"], verifier)
        try:
            verify_consistency(old.size, new.size, _decode(proof["proof"]), old.root_hash, new.root_hash)
            proof["verified_against_checkpoints"] = True
        except ProofError as error:
            proof["verified_against_checkpoints"] = False
            _print_json(proof)
            return _fail(f"the signed checkpoints of sizes {old.size} and {new.size} are NOT consistent: {error}", 1)
    _print_json(proof)
    return 0


def cmd_public_key(args: argparse.Namespace) -> int:
    with audit_trail(Store.from_environment()) as trail:
        print(trail.public_key()["verifier_key"])
    return 0


def cmd_mirror(args: argparse.Namespace) -> int:
    from projections.audit.trail import (
        AuditIntegrityError, AuditRequestError, MirrorSourceError, NotFoundError,
    )

    with audit_trail(Store.from_environment()) as trail:
        if args.sign:
            try:
                trail.make_checkpoint()
            except AuditIntegrityError as error:
                return _fail(str(error), 1)
        try:
            lines = trail.mirror(args.start)
        except NotFoundError:
            return _fail("no checkpoint yet: run `ledger checkpoint` (or pass --sign)")
        except AuditRequestError as error:
            return _fail(str(error))
        out = open(args.output, "wb") if args.output else sys.stdout.buffer
        try:
            for line in lines:
                out.write(line)
            out.flush()
        except MirrorSourceError as error:
            # What was written so far is no mirror (no checkpoint line ends it): say why, in one line.
            return _fail(f"mirror stopped: {error}; run `ledger verify` to see what changed", 1)
        except BrokenPipeError:  # the reader (e.g. `| head`) stopped reading: not an error of ours
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        finally:
            if args.output:
                out.close()
    return 0


def _read_key(value: str) -> str:
    path = Path(value)
    if "+" not in value or path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return value.strip()


def cmd_verify_mirror(args: argparse.Namespace) -> int:
    from projections.audit.frontier import Frontier
    from projections.audit.mirror import MirrorError, verify_mirror

    try:
        key = _read_key(args.key)
        checkpoint = Path(args.checkpoint).read_text(encoding="utf-8") if args.checkpoint else None
        state = None
        if args.state and Path(args.state).exists():
            state = Frontier.from_json(orjson.loads(Path(args.state).read_bytes()))
    except (OSError, ValueError) as error:
        return _fail(str(error))
    source = sys.stdin.buffer if args.mirror == "-" else open(args.mirror, "rb")
    try:
        report = verify_mirror(source, key, checkpoint, origin=args.origin, state=state)
    except MirrorError as error:
        print(f"mirror REJECTED: {error}", file=sys.stderr)
        return 1
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    if args.state:
        Path(args.state).write_bytes(orjson.dumps(report.state.to_json()))
    _print_json(report.to_dict())
    return 0


COMMANDS = ("checkpoint", "verify", "proof", "public-key", "mirror", "verify-mirror")


def _guarded(command: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        from projections.audit.signing import AuditConfigError

        try:
            return command(args)
        except AuditConfigError as error:
            return _fail(str(error))

    run.__name__ = command.__name__
    return run


def add_commands(subparsers: Any) -> None:
    """Add checkpoint, verify, proof, public-key, mirror and verify-mirror to a sub-parser set.

    Each sets ``func`` (args -> exit status), as api/cli.py's own commands do.
    """
    _add(subparsers)
    for name in COMMANDS:
        _wrap(subparsers.choices[name])


def _wrap(parser: argparse.ArgumentParser) -> None:
    func = parser.get_default("func")
    if func is not None and not getattr(func, "_guarded", False):
        wrapped = _guarded(func)
        wrapped._guarded = True  # type: ignore[attr-defined]
        parser.set_defaults(func=wrapped)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _wrap(sub)


def _add(subparsers: Any) -> None:
    p = subparsers.add_parser("checkpoint", help="catch the audit tree up and sign a checkpoint of it now")
    p.set_defaults(func=cmd_checkpoint)

    p = subparsers.add_parser("verify", help="replay the whole stored log against the tree, checkpoints and views")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    p.add_argument("--no-projections", action="store_true", help="skip rebuilding the projections")
    p.add_argument("--no-catch-up", action="store_true",
                   help="do not bring the audit tree up to date first (check only what it holds)")
    p.add_argument("--key", help="the verifier key the ledger published (`ledger public-key`), or a file holding"
                                 " it: the checkpoints must verify with it, not only with the key the store records")
    p.add_argument("--checkpoint", action="append", metavar="FILE",
                   help="a signed checkpoint kept outside the store (a witness's, a mirror's; repeatable): it must"
                        " be in the store and give the root the log gives now")
    p.set_defaults(func=cmd_verify)

    proof = subparsers.add_parser("proof", help="inclusion and consistency proofs from the stored tree")
    kinds = proof.add_subparsers(dest="proof_kind", required=True)
    p = kinds.add_parser("inclusion", help="that leaf I is in the tree of size N")
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--size", type=int, help="tree size (default: the latest checkpoint's)")
    p.set_defaults(func=cmd_proof_inclusion)
    p = kinds.add_parser("consistency", help="that the tree of size M is a prefix of the tree of size N")
    p.add_argument("--from", dest="first", type=int, required=True)
    p.add_argument("--to", dest="second", type=int, required=True)
    p.set_defaults(func=cmd_proof_consistency)

    p = subparsers.add_parser("public-key", help="print the checkpoint verifier key (signed-note format)")
    p.set_defaults(func=cmd_public_key)

    p = subparsers.add_parser("mirror", help="write the log as NDJSON (one leaf per line, then the checkpoint)")
    p.add_argument("--from", dest="start", type=int, default=0, help="first position (default 0)")
    p.add_argument("--output", "-o", help="file to write (default: stdout)")
    p.add_argument("--sign", action="store_true", help="sign a fresh checkpoint first, so the mirror is complete")
    p.set_defaults(func=cmd_mirror)

    p = subparsers.add_parser("verify-mirror", help="verify a mirror offline with the public key and a checkpoint")
    p.add_argument("--key", required=True, help="the verifier key, or a file holding it")
    p.add_argument("--checkpoint", help="a signed checkpoint you trust (default: only the mirror's own)")
    p.add_argument("--mirror", required=True, help="the NDJSON file ('-' for stdin)")
    p.add_argument("--state", help="resume from / save to this state file (for mirrors from --from P)")
    p.add_argument("--origin", help="the log's origin (default: the key's name)")
    p.set_defaults(func=cmd_verify_mirror)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ledger-audit", description=__doc__.splitlines()[0])
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
