"""The API's reference page's data (api/web/api_reference.py): the schema's words made safe HTML, shapes
and rules as the schema states them, every operation and schema kept."""

from __future__ import annotations

import html
import re

from hypothesis import given, strategies as st

from api.web.api_reference import prose, reference, rules, shape

OURS = re.compile(r"</?(p|ul|li|code|strong)>")


@given(st.text())
def test_the_schemas_words_never_become_markup(text):
    made = prose(text)
    assert "<" not in OURS.sub("", made)  # every other angle bracket was escaped


def test_markdown_lists_code_and_strong():
    made = prose("Intro `a<b`.\n\n* **Access**: key\n  continued\n* Two")
    assert made == ("<p>Intro <code>a&lt;b</code>.</p>"
                    "<ul><li><strong>Access</strong>: key continued</li><li>Two</li></ul>")


def test_shapes_and_rules_say_what_the_schema_says():
    assert shape({"$ref": "#/components/schemas/Problem"}) == '<a href="#schema-Problem">Problem</a>'
    assert shape({"anyOf": [{"type": "string"}, {"type": "null"}]}) == "string or null"
    assert shape({"type": "array", "items": {"type": "integer"}}) == "array of integer"
    assert shape({"type": "object", "additionalProperties": {"type": "string"}}) == "object of string"
    assert shape({}) == "any"
    assert rules({"enum": ["a", "b"], "maxLength": 5, "default": None}) == [
        "<code>enum</code> <code>a</code>, <code>b</code>", "<code>maxLength</code> <code>5</code>",
        "<code>default</code> <code>null</code>"]


def test_every_operation_and_schema_is_kept():
    spec = {"info": {"title": "T", "description": "d"},
            "paths": {"/a": {"get": {"operationId": "get_a", "tags": ["x"], "security": [{"HTTPBearer": []}],
                                     "parameters": [{"name": "q", "in": "query", "required": True,
                                                     "schema": {"type": "string", "pattern": "^a$"}}],
                                     "responses": {"422": {"description": "bad `q`"}, "200": {"description": "ok"}}},
                             "post": {"operationId": "post_a", "requestBody": {"required": True, "content": {
                                 "application/json": {"schema": {"$ref": "#/components/schemas/In"}}}},
                                 "responses": {"201": {"description": "made"}}}}},
            "components": {"schemas": {"In": {"required": ["n"], "properties": {"n": {"type": "integer"},
                                                                                "m": {"type": "string"}}}}}}
    made = reference(spec)
    (tag, ops), (other, more) = made["groups"]
    assert (tag, [op["id"] for op in ops], other, [op["id"] for op in more]) == ("x", ["get_a"], "other", ["post_a"])
    get = ops[0]
    assert get["keyed"] and not more[0]["keyed"]
    assert [(p["name"], p["where"], p["required"]) for p in get["parameters"]] == [("q", "query", True)]
    assert [a["status"] for a in get["answers"]] == ["200", "422"] and "<code>q</code>" in get["answers"][1]["description"]
    assert more[0]["body"]["content"] == [{"media": "application/json", "shape": '<a href="#schema-In">In</a>'}]
    (schema,) = made["schemas"]
    assert [(f["name"], f["required"]) for f in schema["fields"]] == [("n", True), ("m", False)]
