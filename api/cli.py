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

from api.bootstrap import StaleViews, check_views, create_schema, open_ledger, record_vocabulary, views_stale
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

    store = Store.from_environment()
    check_views(store)  # here, once, rather than in each worker as it starts
    print(f"serving the ledger API at http://{args.host}:{args.port}/ (interactive docs: /docs)", flush=True)
    serve(store, args.host, args.port, args.workers)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The main job on the embedded default: the seed case loaded and shown, then the API served."""
    cmd_seed(args)
    store = Store.from_environment()
    check_views(store)
    ledger = open_ledger(store)
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
CUT_EXPORTS = ("figures", "tally", "history", "spread", "checks")


def cmd_export(args: argparse.Namespace) -> int:
    """Figures, sources, incidents, reports, a tally, a figure's history or spread, or the checks as
    the API exports them to a reader (protected sources withheld), the signed checkpoints, or the
    audit log as an auditor reads it; to a file or stdout."""
    from api.bootstrap import open_read_side
    from api.exports import rows as export_rows
    from api.exports.about import pinned, stated
    from api.exports.negotiate import write
    from projections.audit.trail import AuditTrail

    if args.what == "tally" and not args.subject:
        print(f"ledger: export tally needs a METRIC, e.g. one of: {', '.join(METRICS)}", file=sys.stderr)
        return 2
    if args.what in ("history", "spread") and not args.subject:
        print(f"ledger: export {args.what} needs a FIGURE_ID", file=sys.stderr)
        return 2
    if args.what == "reports" and args.subject and not _is_uuid(args.subject):
        print(f"ledger: export reports takes a SOURCE_ID, not {args.subject!r}", file=sys.stderr)
        return 2
    cut = args.published_by
    if cut is not None:
        from ledger.errors import InvalidInput
        from projections.publication import check_published_by

        if args.what not in CUT_EXPORTS:
            print(f"ledger: --published-by applies to {', '.join(CUT_EXPORTS)}, not {args.what}", file=sys.stderr)
            return 2
        try:
            check_published_by(cut)
        except InvalidInput as error:
            print(f"ledger: --published-by: {error.message}", file=sys.stderr)
            return 2
    store = Store.from_environment()
    check_views(store)
    ledger = open_ledger(store)
    if args.what == "tally" and args.subject not in ledger.terms.of_kind("metric"):
        known = ", ".join(ledger.terms.of_kind("metric"))
        ledger.close()
        print(f"ledger: export tally needs a METRIC of the vocabulary, one of: {known}", file=sys.stderr)
        return 2
    if args.population is not None:
        from ledger.errors import InvalidInput

        try:  # as the reads check it: against the recorded vocabulary, not a list in code
            ledger.terms.population(args.population)
        except InvalidInput as error:
            ledger.close()
            print(f"ledger: --population: {error.message}", file=sys.stderr)
            return 2
    reader, follower = open_read_side(store, ledger)
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
        position, at = follower.position(), pinned(None)  # one cut: every page read as of the start
        ndjson = args.format == "ndjson"
        if args.what == "figures":
            about = stated(position, trail, as_of=at, published_by=cut)
            its = counted(export_rows.figure_items(lambda after, size: reader.figures(
                cursor=after, limit=size, as_of=at, published_by=cut)), "figures")
            rows = (export_rows.figure_lines if ndjson else export_rows.figure_rows)(
                its, lambda ids: reader.incidents_by_id(ids, as_of=at), reader.terms.places)
            columns, name = export_rows.FIGURE_COLUMNS, "figures"
        elif args.what in ("sources", "incidents"):
            about = stated(position, trail, as_of=at)
            read = reader.sources if args.what == "sources" else reader.incidents
            its = counted(export_rows.paged(lambda after, size: read(cursor=after, limit=size, as_of=at)), args.what)
            columns, row = ((export_rows.SOURCE_COLUMNS, export_rows.source_row) if args.what == "sources"
                            else (export_rows.INCIDENT_COLUMNS, export_rows.incident_row))
            rows, name = its if ndjson else map(row, its), args.what
        elif args.what == "reports":
            about = stated(position, trail, as_of=at, source_id=args.subject)
            its = counted(export_rows.paged(lambda after, size: reader.reports(
                source_id=args.subject, cursor=after, limit=size, as_of=at)), "reports")
            columns, name = export_rows.REPORT_COLUMNS, "reports"
            rows = its if ndjson else map(export_rows.report_row, its)
        elif args.what == "checkpoints":  # hashes only, as anyone may have them from GET /audit/checkpoints
            about = stated(position, trail)
            rows, columns, name = [c.to_dict() for c in trail.checkpoints()], export_rows.CHECKPOINT_COLUMNS, "checkpoints"
        elif args.what == "spread":
            about = stated(position, trail, figure_id=args.subject, as_of=at, published_by=cut)
            spread = reader.spread(args.subject, as_of=at, published_by=cut)
            columns = export_rows.spread_columns(*export_rows.counted_of(spread["current"]))
            name = f"figure-{args.subject}-spread"
            rows = spread["claims"] if ndjson else export_rows.spread_rows(spread)
        elif args.what == "claims":
            from api.imports.claims import CLAIM_COLUMNS, claim_rows

            about = stated(position, trail)
            rows, columns, name = claim_rows(reader), CLAIM_COLUMNS, "claims"
        elif args.what == "tally":
            about = stated(position, trail, metric=args.subject, by=args.by, population=args.population,
                           published_by=cut)
            rows = list(export_rows.tally_rows(reader.tally(args.subject, by=args.by, population=args.population,
                                                            published_by=cut)))
            columns, name = export_rows.tally_columns(args.subject, args.population), f"tally-{args.subject}"
        elif args.what == "history":
            about = stated(position, trail, figure_id=args.subject, as_of=at, published_by=cut)
            its = counted(export_rows.history_versions(args.subject, lambda after, size: reader.figure_history(
                args.subject, cursor=after, limit=size, as_of=at, citation_index=True, published_by=cut)), "versions")
            figure = reader.figure(args.subject, as_of=at, published_by=cut)
            columns = export_rows.version_columns(*export_rows.counted_of(figure))
            rows = its if ndjson else map(export_rows.history_row, its)
            name = f"figure-{args.subject}-history"
        elif args.what == "checks":
            about = stated(position, trail, metric=args.subject, published_by=cut)
            checks = reader.breakdown_checks(metric=args.subject, published_by=cut)
            columns, name = export_rows.check_columns(args.subject), "checks"
            rows = checks if ndjson else map(export_rows.check_row, checks)
        else:  # the audit log, as far as the tree reaches now
            trail.catch_up()
            size = trail.size()
            about = stated(trail.leaf(size - 1)["notification_id"] if size else 0, trail)
            rows = counted(export_rows.audit_entries(lambda after, n: trail.log(cursor=after, limit=n), size), "events")
            columns, name = export_rows.AUDIT_COLUMNS, "audit-log"
        out = open(args.out, "wb") if args.out else sys.stdout.buffer
        try:
            for chunk in write(args.format, columns, rows, about, name):
                out.write(chunk)
        finally:
            if args.out:
                out.close()
        print(f"ledger export: {done[0] or 'all'} rows at ledger position {about['ledger_position']},"
              f" tree size {about['tree_size']}", file=sys.stderr)
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

    export = sub.add_parser("export", help="figures, sources, incidents, reports, claims, a tally, a figure's"
                                           " history or spread, or the checks as a reader"
                                           " exports them, the checkpoints, or the audit log (CSV, HXL, XLSX, NDJSON); claims in the"
                                           " columns `ledger import` reads back")
    export.add_argument("what", choices=["figures", "sources", "incidents", "reports", "claims", "tally", "history",
                                                "spread", "checks", "checkpoints", "audit-log"])
    export.add_argument("subject", nargs="?", metavar="METRIC|FIGURE_ID|SOURCE_ID",
                        help="the tally's metric (checks: only this metric), the figure of a history"
                                                  " or a spread, or the source of the reports (else all)")
    export.add_argument("--by", help="a tally's breakdown dimension")
    export.add_argument("--published-by", metavar="DATE", help="count only what the sources had published by then"
                        " (YYYY-MM-DD, or a time with a zone): figures, tally, history, spread, checks")
    export.add_argument("--population", help="the population a tally counts, a population of the vocabulary"
                        " (default: the whole counted one; docs/model.md)")
    export.add_argument("--format", default="csv", choices=["csv", "xlsx", "hxl", "ndjson"])
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
    load.add_argument("--by", default=f"cli:{getpass.getuser()}", help="who imports (recorded; owns the receipts)")
    load.set_defaults(func=cmd_import)

    from api.audit_cli import add_commands as add_audit_commands

    add_audit_commands(sub)
    return p


#: The commands that make the schema themselves, or read no store.
MAKE_OR_NEED_NO_SCHEMA = ("init", "seed", "run", "verify-mirror")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command not in MAKE_OR_NEED_NO_SCHEMA:
        from api.bootstrap import schema_missing

        store = Store.from_environment()
        missing = schema_missing(store)
        if missing is not None:
            print(f"ledger: this store has no ledger schema ({missing} is missing): run `ledger init` first"
                  f" (LEDGER_DB={store.url.split('@')[-1]})", file=sys.stderr)
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
