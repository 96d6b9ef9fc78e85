"""Rendering a page: the templates, what every page is given, and the headers every HTML answer carries."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.answers import VIEWS_CURRENT
from api.web import i18n
from api.web.session import Session, csrf_basis, sessions
from api.web.show import Show
from ledger.limits import MAX_MOMENT
from ledger.vocabulary import DIMENSIONS, GRADES, METRICS, POPULATIONS, SOURCE_KINDS
from projections.publication import check_published_by

HERE = Path(__file__).parent
PREFIX = "/web"

#: Every HTML answer: nothing from another origin, no inline script, no framing.
CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self';"
       " frame-ancestors 'none'")
#: RapiDoc (a web component) writes its own styles inline; still nothing from another origin.
DOCS_CSP = CSP.replace("img-src", "style-src 'self' 'unsafe-inline'; img-src")
HTML_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

#: What a dict answers to as attributes (``.items()``, ``.get``): looked up as attributes still.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Pages(Environment):
    """Jinja's environment, with ``a.b`` on a dict (what the reads answer in) looked up as its
    key first: Jinja tries the attribute first, and on a dict every ``a.b`` raised and caught an
    AttributeError (~1 us; a page of checks made ~4,500 of them). The same answer in every case:
    a dict has no attributes but its methods, which are still looked up as attributes."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


templates = _Pages(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
    trim_blocks=True, lstrip_blocks=True,
)
templates.globals.update(METRICS=METRICS, DIMENSIONS=DIMENSIONS, POPULATIONS=POPULATIONS, GRADES=GRADES,
                         SOURCE_KINDS=SOURCE_KINDS,
                         LANGUAGES=i18n.LANGUAGES, PREFIX=PREFIX)


def warm() -> None:
    """Compile every template once, as the app is made (api/web/__init__.py): a page's first
    request compiled its own and those it imports (at 1M events, a count's page spent ~60% of
    its first request's CPU in Jinja's parser and compiler, a page of checks ~45%). Compiling
    renders nothing, so no record reaches the environment's cache of compiled templates."""
    for name in templates.list_templates(extensions=["html"]):
        templates.get_template(name)


class PageHeaders:
    """Adds the Content-Security-Policy and its companions to every text/html answer, whoever made it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                media = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if media.startswith(b"text/html"):
                    policy = DOCS_CSP if scope["path"] == "/docs/try" else CSP
                    headers.append((b"content-security-policy", policy.encode()))
                    headers.extend((k.lower().encode(), v.encode()) for k, v in HTML_HEADERS.items())
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def as_of_of(request: Request) -> str | None:
    value = request.query_params.get("as_of")
    return value or None


def kept_cut(published_by: Annotated[str | None, Query(max_length=MAX_MOMENT)] = None) -> None:
    """Every page takes the publication cut-off, so that links can keep it (``link``): checked
    here (projections/publication.py), so that no page links on with one no read takes; the pages
    that apply it read it with ``published_of``."""
    check_published_by(published_by or None)


def published_of(request: Request) -> str | None:
    """The publication cut-off chosen (``published_by``; projections/publication.py checks it)."""
    value = request.query_params.get("published_by")
    return value or None


def link(request: Request, path: str, **params: Any) -> str:
    """A link to another page that keeps the "as of" and "published by" choices."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    for name, chosen in (("as_of", as_of_of(request)), ("published_by", published_of(request))):
        if chosen and name not in params:
            query[name] = chosen
    return path + ("?" + urlencode(query) if query else "")


def page(request: Request, template: str, session: Session | None, *, status: int = 200,
         headers: dict[str, str] | None = None, visit: str | None = None, **context: Any) -> HTMLResponse:
    """The page; ``visit`` is a visitor cookie being set with it (the CSRF token is then bound to it)."""
    basis = visit or csrf_basis(request, session)
    body = templates.get_template(template).render(**_given(request, session, basis, context))
    response = HTMLResponse(body, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


def part(request: Request, template: str, session: Session | None, **context: Any) -> Markup:
    """A part of a page, given what ``page`` gives a page but a CSRF token: it holds no form that posts."""
    return Markup(templates.get_template(template).render(**_given(request, session, None, context)))


def kept_part(request: Request, head: int, key: tuple[Any, ...], make: Callable[[], Markup]) -> Markup:
    """A part of a page kept as rendered while the log's head stays at ``head``, as the API keeps
    its answers (api/answers.py): made afresh once the head moves, and kept only when made from
    views at the head. ``key`` names all the part depends on: the page's path and query, the
    language and what the caller may see (an auditor's part is never anyone else's)."""
    kept = getattr(request.app.state, "web_parts", None)
    found = None if kept is None else kept.get(head, key)
    if found is None:
        found = make()
        if kept is not None and request.scope.get(VIEWS_CURRENT):
            kept.put(head, key, found)
    return found


def _given(request: Request, session: Session | None, basis: str | None, context: dict[str, Any]) -> dict[str, Any]:
    lang = i18n.choose(request)
    labels = {"METRICS": METRICS, "DIMENSIONS": DIMENSIONS, "POPULATIONS": POPULATIONS,
              **vocabulary_labels(request, lang)}
    linked = lambda path, **params: link(request, path, **params)  # noqa: E731
    return dict(
        **labels,
        request=request, session=session, caller=None if session is None else session.caller,
        lang=lang, _=lang.gettext, ngettext=lang.ngettext, n=lang.number, moment=lang.moment, day=lang.day,
        show=Show(lang, linked, labels, PREFIX),
        csrf=sessions(request).csrf_token(basis) if basis else "",
        as_of=as_of_of(request), published_by=published_of(request),
        past=bool(as_of_of(request) or published_of(request)),  # no officer's form on the ledger as it stood
        link=linked,
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    )


def label(term: dict[str, Any], lang: i18n.Language) -> str:
    """A term's label in the page's language: the catalogue's (the built-ins' are in it), else the
    term's own Arabic label on an Arabic page, else its English one."""
    english = term["label_en"]
    if lang.code != "ar":
        return english
    translated = lang.gettext(english)
    return translated if translated != english else (term.get("label_ar") or english)


def vocabulary_labels(request: Request, lang: i18n.Language) -> dict[str, dict[str, str]]:
    """The recorded vocabulary's metrics, dimensions and populations, each code with its label in ``lang``
    (the templates' METRICS, DIMENSIONS, POPULATIONS: the built-ins when no ledger is open)."""
    ledger = getattr(request.app.state, "ledger", None)
    if ledger is None:
        return {}
    terms = ledger.terms.terms()
    by_kind: dict[str, dict[str, str]] = {"metric": {}, "dimension": {}, "population": {}}
    for code, term in terms.items():
        if term["kind"] in by_kind:
            by_kind[term["kind"]][code] = label(term, lang)
    return {"METRICS": by_kind["metric"], "DIMENSIONS": by_kind["dimension"], "POPULATIONS": by_kind["population"]}
