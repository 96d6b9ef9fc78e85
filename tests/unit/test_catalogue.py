"""The Arabic catalogue translates every string the pages and their Python mark for translation, as
``pybabel extract`` finds them, with the same placeholders; and the strings the templates pass to ``_()``
from data (a qualifier's, grade's or kind's words) are in it too."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.web import i18n
from ledger.vocabulary import GRADES, SOURCE_KINDS

WEB = Path(i18n.__file__).parent
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]


def _catalogue():
    with (WEB / "locales" / "ar" / "LC_MESSAGES" / "web.po").open("rb") as f:
        return read_po(f, locale="ar")


def test_every_extracted_string_has_its_arabic_with_the_same_placeholders() -> None:
    po = _catalogue()
    found = {message for _, _, message, _, _ in extract_from_dir(str(WEB), METHODS, keywords={"_": None, "gettext": None})
             if isinstance(message, str) and message}
    assert len(found) > 300
    missing = sorted(m for m in found if m not in po or not po[m].string)
    assert not missing, missing
    placeholders = lambda text: sorted(re.findall(r"%\(\w+\)s", text))  # noqa: E731
    assert [m.id for m in po if m.id and not m.pluralizable and placeholders(m.id) != placeholders(m.string)] == []
    # A plural's forms may leave the number out (Arabic's one and two say it in the word), never add one.
    assert [m.id for m in po if m.pluralizable and not all(set(placeholders(form)) <= set(placeholders(m.id[1]))
                                                           and form for form in m.string)] == []


def test_the_words_templates_translate_from_data_are_in_the_catalogue() -> None:
    po = _catalogue()
    macros = (WEB / "templates" / "macros.html").read_text()
    listed = next(line for line in macros.splitlines() if '("more_than", ' in line)  # the qualifier's options
    qualifiers = re.findall(r'\("[a-z_]+", "([^"]+)"\)', listed)
    words = [*qualifiers, *GRADES, *GRADES.values(), *SOURCE_KINDS.values()]
    assert len(qualifiers) == 8
    assert [w for w in words if w not in po or not po[w].string] == []
