"""The view tables, defined once for both stores: their columns, keys, indexes and which columns are sealed.

Every versioned table keeps each state with the interval of recording time in which it was
the ledger's word, ``[recorded_from, recorded_to)`` in microseconds, the current one ending
at OPEN. "As of T" is then ``recorded_from <= T < recorded_to``: answered from indexes, never
by replaying the log. One figure as of T is a single seek on its key (figure, start); a
running tally as of T is a seek per group; lists read the rows live at T of what they list.

Counts are integers; an unbounded high is NULL. Flags are 0/1 integers and JSON is
canonical text (sorted keys), so that a row reads back identically from either store and
the digest (digest.py) can hash it without knowing where it came from.

A ``sealed`` column holds a source's words (names, URLs, titles, quotes, places as written,
values with their quoted words) or an officer's free text (reasons): with CIPHER_KEY set it
is stored encrypted, deterministically, and read back as text (projections/sealing.py).
Ids, times, numbers and the ledger's own vocabulary (metrics, breakdown slugs, grades,
kinds) stay plain: the questions filter, join and sort on them.

This module is data alone: the statements that create, analyze and drop the tables are
projections/views.py's, and the schema step that runs them is api/bootstrap.py's.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NAME = "views"

#: The version of what the views hold, recorded with them (``{name}_schema``, views.py). Raise it
#: with any change that views made before cannot pick up by following on: a table or column
#: added (tables are made with IF NOT EXISTS, so old ones keep their old columns), or rows an
#: existing event now writes (the month steps, the feed of changes). A store whose views record
#: another version, or none (made before it was recorded, December 2026), is refused until
#: ``ledger rebuild`` (api/bootstrap.check_views, docs/operations.md).
VERSION = 2


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, text|int|flag|sealed)
    key: tuple[str, ...]
    indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Indexes only questions use (applying events never does): a replay builds them at the end.
    read_indexes: tuple[str, ...] = ()
    #: In the views' digest (views_digest.py). Not a table keyed by the log's positions: the same
    #: events under other notification ids (another store's gaps, a copy, another interleaving of
    #: independent events) are the same state, and the digest says so.
    digested: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


def _cols(spec: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        out.append((name, kind or "text"))
    return tuple(out)


TABLES: tuple[Table, ...] = (
    Table(
        "sources",
        _cols("source_id name:sealed name_en:sealed kind url:sealed language protected:flag version:int"
              " registered_at:int registered_by updated_at:int"),
        ("source_id",),
    ),
    # Every version of a source: its protection as the ledger said it from recorded_at on (a
    # source's words never change; its protection does). "As of T" is its latest version
    # recorded by T. Who may see the source is still decided by its current flag (redaction.py).
    Table(
        "source_versions",
        _cols("source_id version:int recorded_at:int protected:flag"),
        ("source_id", "version"),
    ),
    Table(
        "incidents",
        _cols("incident_id title:sealed title_en:sealed description:sealed places:sealed valid_from valid_to version:int"
              " recorded_at:int recorded_by updated_at:int"),
        ("incident_id",),
    ),
    # The period of an incident can be revised; a tally as of T must use the period as of T.
    Table(
        "incident_versions",
        _cols("incident_id version:int recorded_from:int recorded_to:int recorded_at:int actor kind reason:sealed"
              " valid_from valid_to"),
        ("incident_id", "version"),
        (("live", ("incident_id", "recorded_to", "recorded_from")),),
        ("live",),
    ),
    Table(
        "incident_places",
        _cols("incident_id place:sealed place_key:sealed"),
        ("incident_id", "place"),
        (("by_place", ("place_key", "incident_id")),),
        ("by_place",),
    ),
    Table(
        "reports",
        _cols("report_id source_id title:sealed title_en:sealed language published_on url:sealed reference:sealed"
              " period_from period_to places:sealed figure_ids filed_at:int filed_by"),
        ("report_id",),
        (("by_source", ("source_id", "report_id")),),
        ("by_source",),
    ),
    # A citation is live from cited_at until withdrawn_at (OPEN while it stands).
    Table(
        "citations",
        _cols("citation_id target_kind target_id source_id url:sealed quote:sealed quote_en:sealed page:sealed"
              " accessed_on sha256:sealed cited_at:int cited_by withdrawn:flag withdrawn_at:int withdrawn_by"
              " withdrawn_reason:sealed version:int"),
        ("citation_id",),
        (("by_target", ("target_id", "cited_at")),),
        ("by_target",),
    ),
    # Current state of each figure: what the next event is applied to.
    Table(
        "figures",
        _cols("figure_id incident_id metric breakdown population dims depth:int dim_value version:int qualifier"
              " low:int high:int value:sealed value_source_id status grade stated_at:int stated_by updated_at:int"
              " published_from:int"),
        ("figure_id",),
        (("by_metric", ("metric", "incident_id")), ("by_incident", ("incident_id", "metric"))),
        ("by_metric",),  # by_incident is what running.py reads a batch's incidents by
    ),
    Table(
        "figure_dimensions",
        _cols("figure_id dimension"),
        ("figure_id", "dimension"),
        (("by_dimension", ("dimension", "figure_id")),),
        ("by_dimension",),
    ),
    # Every state a figure has been in. recorded_at is the event's own timestamp; recorded_from
    # is the same unless the clock went backwards between two events of the figure (then it is
    # held at the previous start, so the intervals of one figure never overlap). The published_*
    # columns and late place each version in publication time (projections/publication.py).
    Table(
        "figure_versions",
        _cols("figure_id version:int recorded_from:int recorded_to:int recorded_at:int actor kind reason:sealed"
              " source_id report_id evidence replaces value_changed:flag published_at:int published_from:int"
              " published_to:int late:flag incident_id metric breakdown population dims"
              " depth:int dim_value qualifier low:int high:int value:sealed value_source_id status grade"),
        # Keyed by start as well as version, so "F as of T" is one seek on the key itself.
        ("figure_id", "recorded_from", "version"),
        (
            ("live_by_metric", ("metric", "recorded_to", "recorded_from")),
            ("live_by_incident", ("incident_id", "recorded_to", "recorded_from")),
            ("by_metric_time", ("metric", "recorded_from")),
            # A cut at publication time P: versions still the word at P (their successor published after it),
            # and the few words published before a word already on record (publication.py's CUT and LATE).
            ("published_by_metric", ("metric", "published_to", "published_from")),
            ("late_by_metric", ("metric", "late", "published_at")),
            # A protected source's words, which a reader's cut places at their filing (redaction.placed_otherwise).
            ("by_source", ("source_id", "metric", "figure_id")),
            # A figure's latest regrading by T (figure_history_reads.latest_grading): one seek, where the
            # key alone walked back over every later version (24 ms for the hottest figure at 1M events).
            ("by_kind", ("figure_id", "kind", "recorded_from", "version")),
        ),
        ("live_by_metric", "live_by_incident", "by_metric_time", "published_by_metric", "late_by_metric",
         "by_source", "by_kind"),
    ),
    # Each source's latest claim on each figure, versioned the same way. figure_version is the
    # figure event that put this row in place; claim_version the event in which the source
    # made the claim (they differ once a later supersession marks the claim superseded).
    Table(
        "claim_versions",
        _cols("figure_id source_id figure_version:int recorded_from:int recorded_to:int claim_version:int"
              " claimed_at:int actor report_id qualifier low:int high:int value:sealed superseded:flag"),
        ("figure_id", "source_id", "recorded_from", "figure_version"),
        (("live_by_figure", ("figure_id", "recorded_to", "recorded_from")),),
    ),
    # The feed of changes (changes.py): which figures each log position touched. ``cause`` is
    # "event" (the figure's own event, at its version) or "protection" (a source's protection
    # changed, so the figure's redacted face did: every figure whose value came from it).
    Table(
        "figure_changes",
        _cols("position:int figure_id version:int cause"),
        ("position", "figure_id"),
        digested=False,
    ),
    # Running sums (running.py): one row per interval of recording time in which a metric's
    # total ('' / '') or one group of a split stood still.
    Table(
        "tally_versions",
        _cols("metric dimension value recorded_from:int recorded_to:int low:int high_sum:int unbounded:int"
              " figures:int approximate:int"),
        ("metric", "dimension", "value", "recorded_from"),
    ),
    # Running tallies over publication time (published_running.py): each figure's state under
    # every cut, as steps from ``published_from`` on (audience ``a``: auditors; ``r``: a reader's
    # own, only for figures with a protected source's word) ...
    Table(
        "published_steps",
        _cols("audience figure_id published_from:int metric incident_id dims depth:int dim_value version:int kind"
              " actor recorded_from:int qualifier low:int high:int value:sealed value_source_id status grade"),
        # Keyed by incident first: a batch reads every step of the incidents it touched, in one range each.
        ("metric", "incident_id", "figure_id", "audience", "published_from"),
        (("by_instant", ("metric", "published_from")),),
        ("by_instant",),
    ),
    # ... and how each metric's total (of each population) moves at each instant of publication:
    # deltas, the total under a cut their sum by it (``r``: a reader's less an auditor's).
    Table(
        "published_tallies",
        _cols("metric published_at:int audience low:int high_sum:int unbounded:int figures:int approximate:int"),
        ("metric", "published_at", "audience"),
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}
#: Table -> the columns sealed at rest with CIPHER_KEY (projections/sealed_columns.py, sealing.py).
SEALED = {t.name: frozenset(c for c, k in t.columns if k == "sealed") for t in TABLES if "sealed" in dict(t.columns).values()}
