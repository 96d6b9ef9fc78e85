"""The bounds of what the ledger takes, defined once: the domain's checks and the API's schema read them here.

The API states them in its OpenAPI schema (api/models.py), so a client learns them before
it sends anything; the domain enforces them whatever the entry point (ledger/checks.py,
value.py, vocabulary.py and the records).
"""

from __future__ import annotations

#: No count of people or attacks comes near this; the cap keeps every count inside 64 bits,
#: where the stores, orjson and every JSON client agree on its value.
MAX_COUNT = 10**15

#: A record's largest version, read (``?version=``) or expected (If-Match, ``expected_version``):
#: both stores keep versions in signed 64-bit integers.
MAX_VERSION = 2**63 - 1

#: A log position or a tree size (``since``, ``index``, ``size``): signed 64-bit integers in both stores.
MAX_POSITION = 2**63 - 1

# Lengths of text, in characters.
MAX_TEXT = 20_000  # quotes, descriptions: any text not bounded more tightly below
MAX_REASON = 5_000  # why a change was made
MAX_TITLE = 1_000  # an incident's or a report's title, a place
MAX_NAME = 500  # a source's name
MAX_URL = 2_000
MAX_REFERENCE = 2_000  # a report's own reference (a document number, a citation)
MAX_ACTOR = 200  # who gave a command; a key's owner
MAX_PAGE = 50  # where in a report a citation points
MAX_REQUEST_KEY = 255

# How many items one command's lists hold (the API's schema states and enforces them).
MAX_PLACES = 200  # an incident's or a report's places
MAX_STATEMENTS = 500  # figures one report states
MAX_IDS = 100  # citations given as a correction's evidence, sources a supersession replaces

#: A BCP 47 language tag such as ``ar`` or ``en-GB``.
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
MAX_LANGUAGE = 35
#: A lower-case slug such as ``russian-forces`` (a key's role, a request's name for things).
SLUG_PATTERN = r"^[a-z0-9]+([-_][a-z0-9]+)*$"
#: The longest breakdown value, in characters (a value is text in any script, NFC-normalised:
#: "معرة النعمان", "russian-forces"; ledger/terms.py).
MAX_SLUG = 200
#: A term's code in the vocabulary (a metric, a dimension, a population): a slug with underscores,
#: as it appears in URLs and HXL tags.
CODE_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
MAX_CODE = 64
MAX_LABEL = 200  # a term's English or Arabic label
MAX_DEFINITION = 2_000  # what a term means
#: An OCHA P-code: a country's ISO 3166 alpha-2 code and the administrative levels' digits ("SY070100").
P_CODE_PATTERN = r"^[A-Z]{2}[0-9]{0,12}$"

# How much a reader may ask for at once: the query routes (api/routers/queries.py, audit.py) read these.
MAX_PAGE_SIZE = 500  # items in one page of an answer
MAX_CURSOR = 500  # a `next_cursor` as the ledger hands it out
MAX_LOG_CURSOR = 40  # the audit log's `next_cursor` (a position in the log)
MAX_MOMENT = 40  # a time as a query gives it (ISO 8601), before it is read
#: The years a time may be written in. Recording time begins at the Unix epoch (nothing was
#: recorded before it); the last year leaves room under Python's datetime.max for any zone, the
#: end of a publication day and the microsecond the audit page adds, so no read overflows.
FIRST_RECORDED_YEAR, LAST_YEAR = 1970, 9998
#: ``FIRST_RECORDED_YEAR`` to ``LAST_YEAR`` as a schema pattern (what the API documents of as_of).
RECORDED_MOMENT_PATTERN = r"^(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-[0-9]{2}-[0-9]{2}(T|$)"
MAX_FILTER = 200  # a word to filter by (an actor, a place)
