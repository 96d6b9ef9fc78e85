"""The API's reference as a page: every route of ``app.openapi()`` with its parameters, body, answers
(problems included) and the schemas they name, made into plain data for ``api_reference.html``.

Read from the same schema ``/openapi.json`` serves, so the page cannot say what the API does not. The
schema's words are English (they are the routes' docstrings and the models' descriptions); the page
marks them ``lang="en"`` inside whichever language frame it is shown in.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from markupsafe import Markup, escape

METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
#: The JSON Schema rules a field's line states, in this order (the keyword itself is shown: it is the API's word).
RULES = ("format", "pattern", "minLength", "maxLength", "minimum", "exclusiveMinimum", "maximum",
         "exclusiveMaximum", "minItems", "maxItems", "default")

_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")


def inline(text: str) -> Markup:
    """A line of the schema's Markdown: `code` and **strong** only (all the schema uses)."""
    html = str(escape(text))
    return Markup(_STRONG.sub(r"<strong>\1</strong>", _CODE.sub(r"<code>\1</code>", html)))


def prose(text: str | None) -> Markup:
    """The schema's Markdown as HTML: paragraphs, ``* `` lists (with their continuation lines), inline marks."""
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        if not block:
            continue
        lines = block.split("\n")
        if lines[0].lstrip().startswith("* "):
            items: list[str] = []
            for line in lines:
                if line.lstrip().startswith("* "):
                    items.append(line.lstrip()[2:])
                elif items:
                    items[-1] += " " + line.strip()
            blocks.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
        else:
            blocks.append(f"<p>{inline(' '.join(line.strip() for line in lines))}</p>")
    return Markup("".join(blocks))


def anchor(name: str) -> str:
    return "schema-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def shape(schema: dict[str, Any] | None) -> Markup:
    """What a value is, in the schema's own words: a named schema (linked), ``array of …``, ``… or …``."""
    if not schema:
        return Markup("any")
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return Markup('<a href="#{}">{}</a>').format(anchor(name), name)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return Markup(" or ").join(shape(s) for s in schema[key])
    if "allOf" in schema:
        return Markup(" and ").join(shape(s) for s in schema["allOf"])
    if "const" in schema:
        return Markup("<code>{}</code>").format(_json(schema["const"]))
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return Markup(" or ").join(escape(k) for k in kind)
    if kind == "array":
        return Markup("array of ") + shape(schema.get("items"))
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return Markup("object of ") + shape(schema["additionalProperties"])
    return escape(kind)


def rules(schema: dict[str, Any] | None) -> list[Markup]:
    """A value's constraints (``enum``, ``pattern``, lengths, bounds, default), each as ``keyword value``."""
    schema = schema or {}
    found = [Markup("<code>enum</code> ") + Markup(", ").join(Markup("<code>{}</code>").format(_json(v))
                                                               for v in schema["enum"])] if "enum" in schema else []
    found += [Markup("<code>{}</code> <code>{}</code>").format(k, _json(schema[k])) for k in RULES if k in schema]
    return found


def _json(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _field(name: str, schema: dict[str, Any], required: bool, description: str | None = None,
           where: str | None = None) -> dict[str, Any]:
    return {"name": name, "where": where, "required": required, "shape": shape(schema), "rules": rules(schema),
            "description": prose(description if description is not None else schema.get("description"))}


def _content(content: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [{"media": media, "shape": shape(body.get("schema"))} for media, body in (content or {}).items()]


def operation(path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    body = op.get("requestBody")
    return {
        "id": op.get("operationId") or f"{method}-{path}",
        "method": method.upper(), "path": path, "summary": op.get("summary", ""),
        "description": prose(op.get("description")), "deprecated": op.get("deprecated", False),
        "keyed": bool(op.get("security")),
        "parameters": [_field(p["name"], p.get("schema", {}), p.get("required", False), p.get("description"),
                              p["in"]) for p in op.get("parameters", [])],
        "body": None if body is None else {"required": body.get("required", False),
                                           "description": prose(body.get("description")),
                                           "content": _content(body.get("content"))},
        "answers": [{"status": status, "description": prose(answer.get("description")),
                     "content": _content(answer.get("content")),
                     "headers": [_field(name, h.get("schema", {}), h.get("required", False), h.get("description"))
                                 for name, h in (answer.get("headers") or {}).items()]}
                    for status, answer in sorted(op.get("responses", {}).items())],
    }


def schema_entry(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    needed = set(schema.get("required", ()))
    return {"name": name, "anchor": anchor(name), "description": prose(schema.get("description")),
            "shape": shape(schema), "rules": rules(schema),
            "fields": [_field(field, sub, field in needed) for field, sub in schema.get("properties", {}).items()]}


def reference(spec: dict[str, Any]) -> dict[str, Any]:
    """The page's data: the API's title and words, its routes grouped by tag (in the schema's order), its schemas."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                op = item[method]
                groups.setdefault((op.get("tags") or ["other"])[0], []).append(operation(path, method, op))
    return {
        "title": spec["info"]["title"], "version": spec["info"].get("version", ""),
        "description": prose(spec["info"].get("description")),
        "groups": list(groups.items()),
        "schemas": [schema_entry(name, s) for name, s in spec.get("components", {}).get("schemas", {}).items()],
    }
