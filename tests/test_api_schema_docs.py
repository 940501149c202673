"""The API reference documents everything: a walk over /schema/openapi.json.

Every operation and parameter has a description; every request and response body has a schema
whose fields each carry a description, and one whole example that fits it. A small app with an
undocumented route shows that the check can fail. The handlers that read their bodies
themselves (the CSV import, the survey form and its JSON twin) still document the body they read.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from litestar import Litestar, post
from litestar.testing import AsyncTestClient

from service.reference import DocumentedJson, OfflineReference

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Bodies a handler reads itself: the reference must still say what they hold.
READ_BY_HAND = {
    ("post", "/api/v1/people/import"): "text/csv",
    ("post", "/api/v1/respond/{token}"): "application/json",
    ("post", "/s/{token}"): "application/x-www-form-urlencoded",
}


def _schemas_in(node: Any, defs: dict[str, Any], seen: set[str]) -> None:
    """Collect the component names reachable from `node` (a schema or part of one)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                _schemas_in(defs.get(name, {}), defs, seen)
        for value in node.values():
            _schemas_in(value, defs, seen)
    elif isinstance(node, list):
        for value in node:
            _schemas_in(value, defs, seen)


def _fields_lacking_descriptions(where: str, schema: dict[str, Any]) -> list[str]:
    return [
        f"{where}.{name} has no description"
        for name, prop in schema.get("properties", {}).items()
        if not (isinstance(prop, dict) and str(prop.get("description", "")).strip())
    ]


def undocumented(spec: dict[str, Any]) -> list[str]:
    """Everything the reference leaves unsaid, one line each (empty: all documented)."""
    gaps: list[str] = []
    defs: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    bodies: set[str] = set()
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            label = f"{method.upper()} {path}"
            if not str(op.get("description", "")).strip():
                gaps.append(f"{label} has no description")
            gaps += [
                f"{label} parameter {p['name']} has no description"
                for p in op.get("parameters", [])
                if not str(p.get("description", "")).strip()
            ]
            contents: list[tuple[str, dict[str, Any]]] = []
            request = op.get("requestBody")
            if request is not None:
                contents += [(f"{label} request {mt}", c) for mt, c in request["content"].items()]
            elif (method, path) in READ_BY_HAND:
                gaps.append(
                    f"{label} reads a {READ_BY_HAND[method, path]} body it does not document"
                )
            for status, response in op.get("responses", {}).items():
                for mt, c in response.get("content", {}).items():
                    contents.append((f"{label} {status} {mt}", c))
            for where, content in contents:
                schema = content.get("schema")
                if not schema:
                    gaps.append(f"{where} has no schema")
                    continue
                named: set[str] = set()
                _schemas_in(schema, defs, named)
                if not named:
                    # An inline body schema (a CSV text, a form): described and exemplified here.
                    if schema.get("type") == "object" or "properties" in schema:
                        gaps += _fields_lacking_descriptions(where, schema)
                    has_example = any(k in content for k in ("example", "examples")) or any(
                        k in schema for k in ("example", "examples")
                    )
                    is_request = " request " in where
                    if is_request and not has_example:
                        gaps.append(f"{where} has no example")
                    described = (
                        str(schema.get("description", "")).strip()
                        or str((request or {}).get("description", "")).strip()
                    )
                    if is_request and not described:
                        gaps.append(f"{where} has no description")
                _schemas_in(schema, defs, bodies)
    for name in sorted(bodies):
        schema = defs[name]
        if schema.get("type") != "object" and "properties" not in schema:
            continue
        gaps += _fields_lacking_descriptions(name, schema)
        if not schema.get("examples") and "example" not in schema:
            gaps.append(f"{name} has no example")
    return gaps


@pytest.fixture(scope="module")
async def spec(client: Any) -> dict[str, Any]:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    served: dict[str, Any] = r.json()
    return served


def test_every_operation_and_body_in_the_reference_is_documented(spec: dict[str, Any]) -> None:
    assert undocumented(spec) == []
    # Not vacuous: the walk saw the bodies it is about.
    operations = [op for item in spec["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(operations) > 60
    assert len(spec["components"]["schemas"]) > 50
    for (method, path), media_type in READ_BY_HAND.items():
        assert media_type in spec["paths"][path][method]["requestBody"]["content"]


def test_every_example_fits_its_schema(spec: dict[str, Any]) -> None:
    validators = pytest.importorskip("jsonschema_rs")
    components = spec["components"]
    wrong = [
        f"{name}: {error.message} at {list(error.instance_path)}"
        for name, schema in components["schemas"].items()
        for example in schema.get("examples", [])
        for error in validators.Draft202012Validator(
            {**schema, "components": components}
        ).iter_errors(example)
    ]
    assert wrong == []


class _Bare(msgspec.Struct):
    name: str
    size: int = 0


@post("/bare", sync_to_thread=False)
def _bare(data: _Bare) -> _Bare:
    return data


async def test_the_check_fails_for_an_undocumented_route() -> None:
    from litestar.openapi import OpenAPIConfig

    app = Litestar(
        [_bare],
        openapi_config=OpenAPIConfig(
            title="bare",
            version="1",
            path="/schema",
            render_plugins=[OfflineReference(), DocumentedJson()],
        ),
    )
    async with AsyncTestClient(app=app) as c:
        spec = (await c.get("/schema/openapi.json")).json()
    gaps = undocumented(spec)
    assert "POST /bare has no description" in gaps
    assert "_Bare.name has no description" in gaps
    assert "_Bare.size has no description" in gaps


def test_the_check_notices_a_body_read_by_hand_left_out_and_a_missing_example() -> None:
    spec = {
        "paths": {
            "/s/{token}": {
                "post": {
                    "description": "Submit",
                    "parameters": [{"name": "token", "in": "path"}],
                    "responses": {},
                }
            },
            "/x": {
                "get": {
                    "description": "X",
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/X"}}
                            }
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "X": {"type": "object", "properties": {"a": {"type": "string", "description": "A"}}}
            }
        },
    }
    gaps = undocumented(spec)
    assert (
        "POST /s/{token} reads a application/x-www-form-urlencoded body it does not document"
        in gaps
    )
    assert "X has no example" in gaps
    assert "POST /s/{token} parameter token has no description" in gaps


async def test_assets_are_only_the_named_files(client: Any) -> None:
    r = await client.get("/schema/assets/swagger-ui-bundle.js")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert len(r.content) > 100_000
    for name in ("swagger-editor-bundle.js", "..%2Fsettings.py", "index.html"):
        assert (await client.get(f"/schema/assets/{name}")).status_code == 404
    page = await client.get("/schema")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text and "https://" not in page.text
