"""The ``ledger`` command: set up a store, load the seed case, issue keys, serve the API, audit.

Every sub-command works on the store named by LEDGER_DB (default: an SQLite file under
./var), so the same commands drive a laptop and a PostgreSQL deployment.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from api.bootstrap import StaleViews, create_schema, open_ledger, record_vocabulary, views_stale
from ledger.access import ROLES
from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.figure import Figure
from ledger.incident import Incident
from ledger.seed import case_data, load_case
from ledger.store import Store
from ledger.vocabulary import METRICS


def _describe_breakdown(breakdown: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in breakdown.items()) or "total"


def show_case(ledger: Ledger, ids: dict[str, dict[str, str]], out=sys.stdout) -> None:
    """Print what the ledger holds for a loaded case, figure by figure, as an officer reads it."""
    for incident_key, incident_id in ids["incidents"].items():
        incident = ledger.load(Incident, incident_id)
        period = f"{incident.valid_from} – {incident.valid_to or 'ongoing'}"
        print(f"\n{incident.title}\n  {', '.join(incident.places)}; {period}", file=out)
        for figure_id in ids["figures"].values():
            figure = ledger.load(Figure, figure_id)
            if figure.incident_id != incident_id:
                continue
            value = figure.value
            quote = f'  "{value.quote}"' if value.quote else ""
            print(f"  {METRICS.get(figure.metric, figure.metric):<38} {_describe_breakdown(figure.breakdown):<50}"
                  f" {value.describe():>22}{quote}", file=out)


def cmd_init(args: argparse.Namespace) -> int:
    store = Store.from_environment()
    create_schema(store)
    record_vocabulary(store)
    print(f"schema ready on {store.kind} ({store.url.split('@')[-1]})")
    stale = views_stale(store)
    if stale is not None:
        print(f"ledger: {stale}", file=sys.stderr)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    store = Store.from_environment()
    create_schema(store)
    ledger = open_ledger(store)
    ledger.record_built_ins()
    try:
        data = case_data()
        ids = load_case(ledger, data)
        print(f"seed case {data['case']!r}: {len(ids['sources'])} sources, {len(ids['incidents'])} incidents,"
              f" {len(ids['reports'])} reports, {len(ids['figures'])} figures, {len(ids['citations'])} citations"
              f" ({ledger.recorder.max_notification_id()} events in the log)")
        if not args.quiet:
            show_case(ledger, ids)
    finally:
        ledger.close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from api.serve import serve

    serve(Store.from_environment(), args.host, args.port, args.workers, forwarded_allow_ips=args.forwarded_allow_ips)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The main job on the embedded default: the seed case loaded and shown, then the API served."""
    cmd_seed(args)
    ledger = open_ledger(Store.from_environment())
    try:
        key, _ = ledger.issue_key("ledger run", owner="local-reader", role="reader")
    finally:
        ledger.close()
    print(f"\na reader key for trying the API (issue others with `ledger keys issue`):\n  {key}")
    print(f"  curl -H 'Authorization: Bearer {key}' http://{args.host}:{args.port}/tallies/civilians_killed")
    print(f"in a browser: http://{args.host}:{args.port}/ (sign in with the key above)")
    return cmd_serve(args)


def cmd_keys_issue(args: argparse.Namespace) -> int:
    ledger = open_ledger()
    try:
        key, info = ledger.issue_key(args.by, owner=args.owner, role=args.role)
    finally:
        ledger.close()
    print(f"key for {info['owner']} ({info['role']}), id {info['key_id']}:\n{key}\n(shown once; only its hash is kept)")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    ledger = open_ledger()
    try:
        ledger.revoke_key(args.by, args.key_id, reason=args.reason)
    finally:
        ledger.close()
    print(f"key {args.key_id} revoked")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """The views emptied and replayed from the whole log, with progress on stderr."""
    from api.bootstrap import rebuild_views

    result = rebuild_views(Store.from_environment(), args.name, progress=not args.quiet)
    print(f"{result['name']}: {result['events']} events to position {result['position']} in"
          f" {result['seconds']:.1f} s; digest {result['digest']}")
    return 0


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


#: The exports a publication cut-off applies to (the others are records, or the log itself).
CUT_EXPORTS = ("figures", "reports", "tally", "tally-history", "tally-months", "history", "spread", "checks")
#: The exports read as of a recording time (the checkpoints, claims and audit log are as of now).
AS_OF_EXPORTS = ("figures", "sources", "incidents", "reports", "tally", "tally-history", "tally-months", "history",
                 "spread", "checks")
#: The exports the figure filters apply to, as ``GET /figures`` takes them (checks: --metric, --incident).
FIGURE_FILTERS = {"metric": ("figures", "checks"), "incident": ("figures", "checks")}


def _moment(option: str, text: str | None) -> tuple[Any, str | None]:
    """``text`` as the API reads ``as_of`` or ``published_by`` (so both refuse the same input), or why not."""
    if text is None:
        return None, None
    from pydantic import TypeAdapter, ValidationError

    from api.routers._shared import AsOf
    from ledger.errors import InvalidInput
    from projections.publication import check_published_by

    try:
        if option == "--published-by":
            check_published_by(text)
            return text, None
        return TypeAdapter(AsOf).validate_python(text), None
    except InvalidInput as error:
        return None, f"{option}: {error.message}"
    except ValidationError as error:
        return None, f"{option}: {error.errors()[0]['msg'].removeprefix('Value error, ')}"


def _export_refusal(args: argparse.Namespace) -> str | None:
    """Why the export asked for cannot be made, before any store is opened (None: it can)."""
    if args.what in ("tally", "tally-history", "tally-months") and not args.subject:
        return f"export {args.what} needs a METRIC, e.g. one of: {', '.join(METRICS)}"
    if args.what in ("history", "spread") and not args.subject:
        return f"export {args.what} needs a FIGURE_ID"
    if args.what in ("history", "spread") and not _is_uuid(args.subject):
        return f"export {args.what} takes a FIGURE_ID, not {args.subject!r}"
    if args.what == "reports" and args.subject and not _is_uuid(args.subject):
        return f"export reports takes a SOURCE_ID, not {args.subject!r}"
    if args.incident is not None and not _is_uuid(args.incident):
        return f"--incident takes an INCIDENT_ID, not {args.incident!r}"
    for option, flag, kinds_ in (("published_by", "--published-by", CUT_EXPORTS), ("as_of", "--as-of", AS_OF_EXPORTS),
                                 *((name, f"--{name}", applies) for name, applies in FIGURE_FILTERS.items())):
        if getattr(args, option) is not None and args.what not in kinds_:
            return f"{flag} applies to {', '.join(kinds_)}, not {args.what}"
    for option in ("months_from", "months_to"):
        flag = f"--{option.replace('_', '-')}"
        if getattr(args, option) is not None and args.what != "tally-months":
            return f"{flag} applies to tally-months, not {args.what}"
        from api.months import parse_month
        from ledger.errors import InvalidInput

        try:
            parse_month(getattr(args, option), flag)
        except InvalidInput as error:
            return error.message
    if args.what == "checks" and args.subject and args.metric and args.subject != args.metric:
        return f"export checks: the METRIC {args.subject!r} and --metric {args.metric!r} differ"
    return None


def cmd_export(args: argparse.Namespace) -> int:
    """Figures, sources, incidents, reports, a tally or its history, a figure's history or spread, or the
    checks as the API exports them to a reader (protected sources withheld: api/exports/kinds.py makes
    both), the signed checkpoints, or the audit log as an auditor reads it; to a file or stdout."""
    from functools import partial

    from api.bootstrap import open_read_side
    from api.exports import kinds
    from api.exports import rows as export_rows
    from api.exports.about import stated
    from api.exports.negotiate import write
    from projections.audit.trail import AuditTrail

    refused = _export_refusal(args)
    as_of, bad_as_of = _moment("--as-of", args.as_of)
    cut, bad_cut = _moment("--published-by", args.published_by)
    if refused or bad_as_of or bad_cut:
        print(f"ledger: {refused or bad_as_of or bad_cut}", file=sys.stderr)
        return 2
    metric = args.metric or (args.subject if args.what in ("tally", "tally-history", "tally-months", "checks") else None)
    store = Store.from_environment()
    ledger = open_ledger(store)
    if metric is not None and metric not in ledger.terms.of_kind("metric"):
        known = ", ".join(ledger.terms.of_kind("metric"))
        ledger.close()
        print(f"ledger: export {args.what} needs a METRIC of the vocabulary, one of: {known}", file=sys.stderr)
        return 2
    if args.population is not None:
        from ledger.errors import InvalidInput

        try:  # as the reads check it: against the recorded vocabulary, not a list in code
            ledger.terms.population(args.population)
        except InvalidInput as error:
            ledger.close()
            print(f"ledger: --population: {error.message}", file=sys.stderr)
            return 2
    try:
        reader, follower = open_read_side(store, ledger)  # refuses views another version made
    except StaleViews:
        ledger.close()
        raise
    trail = AuditTrail(store, ledger=ledger)
    done = [0]

    def counted(items, unit: str):  # progress on stderr, a line per thousand rows
        for item in items:
            done[0] += 1
            if done[0] % 1000 == 0:
                print(f"ledger export: {done[0]} {unit}", file=sys.stderr)
            yield item

    try:
        follower.catch_up()
        state = partial(stated, follower.position(), trail)
        seen = {"include_protected": False}  # as a reader: the one redaction rule of the reader's answers
        if args.what == "figures":
            made = kinds.figures(reader, state, **seen, as_of=as_of, metric=metric, incident_id=args.incident,
                                 published_by=cut)
        elif args.what in ("sources", "incidents", "reports"):
            asked = {"source_id": args.subject, "published_by": cut} if args.what == "reports" else {}
            made = kinds.listing(args.what, reader, state, **seen, as_of=as_of, **asked)
        elif args.what == "spread":
            made = kinds.spread(reader, state, args.subject, **seen, as_of=as_of, published_by=cut)
        elif args.what in ("tally", "tally-history"):
            make = kinds.tally if args.what == "tally" else kinds.tally_history
            made = make(reader, state, metric, **seen, by=args.by, population=args.population, as_of=as_of,
                        published_by=cut)
        elif args.what == "tally-months":
            made = kinds.tally_months(reader, state, metric, **seen, as_of=as_of, months_from=args.months_from,
                                      months_to=args.months_to, population=args.population, published_by=cut)
        elif args.what == "history":
            made = kinds.figure_history(reader, state, args.subject, **seen, as_of=as_of, published_by=cut)
        elif args.what == "checks":
            made = kinds.checks(reader, state, **seen, metric=metric, incident_id=args.incident, as_of=as_of,
                                published_by=cut)
        elif args.what == "checkpoints":  # hashes only, as anyone may have them from GET /audit/checkpoints
            signed = [c.to_dict() for c in trail.checkpoints()]
            made = kinds.Made(export_rows.CHECKPOINT_COLUMNS, signed, signed, state(), "checkpoints")
        elif args.what == "claims":
            from api.imports.claims import CLAIM_COLUMNS, claim_rows

            claims = claim_rows(reader)
            made = kinds.Made(CLAIM_COLUMNS, claims, claims, state(), "claims")
        else:  # the audit log, as far as the tree reaches now
            trail.catch_up()
            size = trail.size()
            made = kinds.audit_log(lambda after, n: trail.log(cursor=after, limit=n), size,
                                   stated(trail.leaf(size - 1)["notification_id"] if size else 0, trail))
        out = open(args.out, "wb") if args.out else sys.stdout.buffer
        try:
            for chunk in write(args.format, made.columns, counted(made.of(args.format), "rows"), made.about, made.name):
                out.write(chunk)
        finally:
            if args.out:
                out.close()
        print(f"ledger export: {done[0]} rows at ledger position {made.about['ledger_position']},"
              f" tree size {made.about['tree_size']}", file=sys.stderr)
    finally:
        trail.close()
        ledger.close()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Spreadsheet rows filed as reports: every row checked first, each report filed at most once."""
    from tqdm import tqdm

    from api import imports
    from api.imports.columns import Mapping

    try:
        mapping = Mapping.read(args.mapping)
        for pair in args.set or []:
            name, sep, value = pair.partition("=")
            if not sep:
                raise ValueError(f"--set takes COLUMN=VALUE, not {pair!r}")
            mapping = Mapping(mapping.columns, {**mapping.fixed, name.strip(): value.strip()})
        with open(args.file, "rb") as f:
            data = f.read()
    except (OSError, ValueError) as e:
        print(f"ledger import: {e}", file=sys.stderr)
        return 2
    bars: list[Any] = []

    def checking(n: int) -> None:
        if not bars:
            bars.append(tqdm(desc="checked", unit=" rows", file=sys.stderr, mininterval=0.5))
        bars[0].update(n)

    def recording(rows: int, reports: int) -> Any:
        bar = tqdm(total=rows, desc=f"filed ({reports} reports)", unit=" rows", file=sys.stderr, mininterval=0.5)
        bars.append(bar)
        return bar.update

    ledger = open_ledger()
    try:
        plan, outcome = imports.run(ledger, args.by, data, name=args.file, mapping=mapping, partial=args.partial,
                                    check_only=args.check, checking=checking, recording=recording)
    except ValueError as e:
        print(f"ledger import: {e}", file=sys.stderr)
        return 2
    finally:
        for bar in bars:
            bar.close()
        ledger.close()
    problems = sorted(plan.problems + (outcome.problems if outcome else []), key=lambda p: p.row)
    for p in problems:
        where = f"row {p.row}" + (f", column {p.column}" if p.column else "")
        print(f"{where}: {p.message}")
    for row, first in sorted(plan.with_report.items()):
        print(f"row {row}: not filed: its report is refused (see row {first})")
    refused = len(plan.refused | {p.row for p in problems})
    if outcome is None:
        said = "checked only" if args.check else "nothing recorded" if refused else "no rows"
        print(f"ledger import: {plan.rows} rows, {len(plan.reports)} reports; {refused} rows refused; {said}",
              file=sys.stderr)
        return 1 if refused else 0
    filed = sum(1 for s in outcome.rows.values() if s == "recorded")
    print(f"ledger import: {plan.rows} rows: {filed} filed in {outcome.reports} reports"
          f" ({outcome.citations} citations), {len(outcome.rows) - filed} already recorded, {refused} refused;"
          f" {outcome.corrections} corrections, {outcome.created} sources and incidents created",
          file=sys.stderr)
    return 1 if refused else 0


def parser() -> argparse.ArgumentParser:
    from api.serve import add_forwarded_option

    p = argparse.ArgumentParser(prog="ledger", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="create the schema (events, projections, audit) once").set_defaults(func=cmd_init)

    seed = sub.add_parser("seed", help="load the seed case and show what was recorded")
    seed.add_argument("--quiet", action="store_true", help="print the summary line only")
    seed.set_defaults(func=cmd_seed)

    run = sub.add_parser("run", help="the main job: schema, seed case shown, then the API served")
    run.add_argument("--quiet", action="store_true")
    serve = sub.add_parser("serve", help="serve the API (several --workers need PostgreSQL)")
    for command in (run, serve):
        command.add_argument("--host", default="127.0.0.1")
        command.add_argument("--port", type=int, default=8000)
        command.add_argument("--workers", type=int, default=1)
        add_forwarded_option(command)
    run.set_defaults(func=cmd_run)
    serve.set_defaults(func=cmd_serve)

    keys = sub.add_parser("keys", help="issue and revoke API keys").add_subparsers(dest="keys", required=True)
    issue = keys.add_parser("issue", help="issue a key; it is printed once")
    issue.add_argument("--owner", required=True)
    issue.add_argument("--role", required=True, choices=list(ROLES))
    issue.add_argument("--by", default=f"cli:{getpass.getuser()}", help="who issues it (recorded)")
    issue.set_defaults(func=cmd_keys_issue)
    revoke = keys.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    revoke.add_argument("--reason", required=True)
    revoke.add_argument("--by", default=f"cli:{getpass.getuser()}")
    revoke.set_defaults(func=cmd_keys_revoke)

    export = sub.add_parser("export", help="figures, sources, incidents, reports, claims, a tally or its history,"
                                           " a figure's history or spread, or the checks as a reader exports them"
                                           " (the API's files: api/exports/kinds.py), the checkpoints, or the audit"
                                           " log (CSV, HXL, XLSX, JSON, NDJSON); claims in the columns"
                                           " `ledger import` reads back")
    export.add_argument("what", choices=["figures", "sources", "incidents", "reports", "claims", "tally",
                                         "tally-history", "tally-months", "history", "spread", "checks", "checkpoints",
                                         "audit-log"])
    export.add_argument("subject", nargs="?", metavar="METRIC|FIGURE_ID|SOURCE_ID",
                        help="the metric of a tally or its history (checks: only this metric), the figure of a"
                             " history or a spread, or the source of the reports (else all)")
    export.add_argument("--by", help="a tally's breakdown dimension")
    export.add_argument("--months-from", metavar="YYYY-MM", help="tally-months: the first month (default: the latest"
                        " 12 months the incidents cover, as GET /tallies/{metric}/months)")
    export.add_argument("--months-to", metavar="YYYY-MM", help="tally-months: the last month")
    export.add_argument("--as-of", metavar="TIME", help="as the ledger was recorded at this time (ISO 8601 with a"
                        " zone, as the API's as_of): " + ", ".join(AS_OF_EXPORTS))
    export.add_argument("--published-by", metavar="DATE", help="count only what the sources had published by then"
                        " (YYYY-MM-DD, or a time with a zone): " + ", ".join(CUT_EXPORTS))
    export.add_argument("--metric", help="only figures (or checks) of this metric, as GET /figures?metric=")
    export.add_argument("--incident", metavar="INCIDENT_ID", help="only figures (or checks) of this incident,"
                        " as GET /figures?incident_id=")
    export.add_argument("--population", help="the population a tally counts, a population of the vocabulary"
                        " (default: the whole counted one; docs/model.md)")
    export.add_argument("--format", default="csv", choices=["csv", "xlsx", "hxl", "json", "ndjson"])
    export.add_argument("--out", help="the file to write (default: stdout)")
    export.set_defaults(func=cmd_export)

    rebuild = sub.add_parser("rebuild", help="empty the views and replay the whole log into them, with progress"
                                             " (after an upgrade whose views changed; docs/operations.md)")
    rebuild.add_argument("name", nargs="?", default="views", help="the projection to rebuild (default: the live views)")
    rebuild.add_argument("--quiet", action="store_true", help="no progress bar, the summary line only")
    rebuild.set_defaults(func=cmd_rebuild)

    load = sub.add_parser("import", help="file spreadsheet rows (CSV, HXL, XLSX) as reports, each row a figure")
    load.add_argument("file")
    load.add_argument("--mapping", help="a JSON or TOML file naming the import column of each header")
    load.add_argument("--set", action="append", metavar="COLUMN=VALUE",
                      help="a value for every row that leaves the column empty (e.g. language=ar)")
    load.add_argument("--partial", action="store_true", help="file the good rows even if some are refused")
    load.add_argument("--check", action="store_true", help="check every row, record nothing")
    load.add_argument("--by", default=f"cli:{getpass.getuser()}", help="who imports (recorded as the actor of what it files)")
    load.set_defaults(func=cmd_import)

    from api.audit_cli import add_commands as add_audit_commands

    add_audit_commands(sub)
    return p


#: The commands that make the schema themselves, or read no store.
MAKE_OR_NEED_NO_SCHEMA = ("init", "seed", "run", "verify-mirror")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command not in MAKE_OR_NEED_NO_SCHEMA:
        from api.bootstrap import without_schema

        refused = without_schema(Store.from_environment())
        if refused is not None:
            print(f"ledger: {refused}", file=sys.stderr)
            return 2
    try:
        return args.func(args)
    except LedgerError as e:
        print(f"ledger: {e.message}", file=sys.stderr)
        return 2
    except StaleViews as e:
        print(f"ledger: {e} (LEDGER_DB={Store.from_environment().url.split('@')[-1]})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
