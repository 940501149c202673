"""Every number a route can send was built by the anonymity guard, or says why it needs not be.

The check is structural: it walks the routes of the real app, the types they return and every
Struct inside them (msgspec's own type info). A number (int or float) may appear only

* inside a Struct defined in `service.guard` (a `Cell`, a `Participation`: built from
  `Released` / `Withheld` only), or
* on a field marked with one of the guard's markers: `DERIVED` (computed from guard results,
  e.g. a widget's rounded score), `NOT_ABOUT_ANSWERS` (paging, k, scale ends, sequence numbers)
  or `ADMIN_ONLY` (filled through `guard.admin_only()`, None for anyone but an admin).

A route that does not return a Struct (an HTML page, a CSV file, an image) must name the Struct
whose numbers it renders in `opt["view"]`, which is checked the same way, or `None` when it
shows no number at all. A new route that does neither fails here. The API-level attacker tests
(test_differencing_attacker.py, test_anonymity_storage.py, test_isolation_matrix.py) check the
values; this file checks that no path around the guard exists.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest
from litestar import Litestar, get
from litestar.response import Template

from service import guard
from service.app import create_app
from service.settings import Settings

MARKED = {m.extra["candor_number"] for m in guard.MARKERS if m.extra}
NOT_STRUCTS = (bytes, str, Template)


def _numbers(tp: Any) -> list[str]:
    """Paths to numbers in `tp` that neither a guard Struct nor a marker vouches for."""
    found: list[str] = []
    seen: set[type] = set()

    def walk(info: msgspec.inspect.Type, path: str) -> None:
        if isinstance(info, msgspec.inspect.Metadata):
            extra = info.extra or {}
            if extra.get("candor_number") in MARKED:
                return
            walk(info.type, path)
        elif isinstance(info, msgspec.inspect.IntType | msgspec.inspect.FloatType):
            found.append(path)
        elif isinstance(info, msgspec.inspect.StructType):
            if info.cls.__module__.split(".")[:2] == ["service", "guard"] or info.cls in seen:
                return
            seen.add(info.cls)
            for f in info.fields:
                walk(f.type, f"{info.cls.__name__}.{f.name}")
        elif isinstance(info, msgspec.inspect.UnionType):
            for t in info.types:
                walk(t, path)
        elif isinstance(
            info,
            msgspec.inspect.ListType
            | msgspec.inspect.SetType
            | msgspec.inspect.FrozenSetType
            | msgspec.inspect.VarTupleType,
        ):
            walk(info.item_type, f"{path}[]")
        elif isinstance(info, msgspec.inspect.TupleType):
            for t in info.item_types:
                walk(t, f"{path}[]")
        elif isinstance(info, msgspec.inspect.DictType):
            walk(info.key_type, f"{path}{{key}}")
            walk(info.value_type, f"{path}{{}}")

    walk(msgspec.inspect.type_info(tp), getattr(tp, "__name__", str(tp)))
    return found


def _payload(annotation: Any) -> Any:
    """The body type of a return annotation (`Response[X]` -> X)."""
    origin = getattr(annotation, "__origin__", None)
    args = getattr(annotation, "__args__", ())
    if origin is not None and getattr(origin, "__name__", "") == "Response" and args:
        return args[0]
    return annotation


def violations(app: Litestar) -> list[str]:
    """Every route that can carry a number the guard did not vouch for, with the field."""
    problems: list[str] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            fn = handler.fn
            if fn.__module__.startswith("litestar."):
                continue  # the framework's own OpenAPI pages: they carry the schema, no data
            where = f"{sorted(handler.http_methods)} {route.path}"
            annotation = _payload(handler.parsed_fn_signature.return_type.annotation)
            if "view" in handler.opt:
                view = handler.opt["view"]
                problems += [f"{where}: {p}" for p in ([] if view is None else _numbers(view))]
                continue
            if annotation is None or annotation is type(None):
                continue  # no body at all (204)
            if annotation in NOT_STRUCTS or annotation is Any:
                problems.append(
                    f"{where}: returns {getattr(annotation, '__name__', annotation)}; name the "
                    'Struct it renders in opt={"view": ...} (None if it shows no number)'
                )
                continue
            problems += [f"{where}: {p}" for p in _numbers(annotation)]
    return problems


@pytest.fixture(scope="module")
def real_app(settings: Settings) -> Litestar:
    return create_app(settings)


def test_no_route_of_the_app_can_send_a_number_the_guard_did_not_vouch_for(
    real_app: Litestar,
) -> None:
    assert violations(real_app) == []


def test_the_check_sees_the_leader_views(real_app: Litestar) -> None:
    # Not vacuous: the trend, heatmap and widget routes are walked and carry guard Structs.
    walked = {
        route.path
        for route in real_app.routes
        for h in getattr(route, "route_handlers", [])
        if not h.fn.__module__.startswith("litestar.")
    }
    assert {
        "/api/v1/teams/{team_id:uuid}/trend",
        "/api/v1/waves/{wave_id:uuid}/heatmap",
        "/embed/v1/trend.json",
    } <= walked


# --- the check can fail --------------------------------------------------------------------------


class _Leaky(msgspec.Struct):
    team: str
    respondents: int  # a raw count, built by nobody's rules


class _Wrapped(msgspec.Struct):
    rows: list[dict[str, _Leaky]]


class _Honest(msgspec.Struct):
    cell: guard.Cell
    limit: guard.Meta
    rounded: Annotated[int | None, guard.DERIVED] = None


def test_a_planted_route_with_a_bare_count_is_caught() -> None:
    @get("/leak", sync_to_thread=False)
    def leak() -> _Leaky:
        return _Leaky("Design", 2)

    @get("/nested", sync_to_thread=False)
    def nested() -> _Wrapped:
        return _Wrapped([])

    @get("/page", sync_to_thread=False)
    def page() -> str:
        return "<p>2 people answered</p>"

    @get("/honest", sync_to_thread=False)
    def honest() -> _Honest:
        return _Honest(guard.withheld_cell("few", "fewer than 5 responses"), 10)

    found = violations(Litestar([leak, nested, page, honest]))
    assert any("/leak" in v and "_Leaky.respondents" in v for v in found)
    assert any("/nested" in v and "_Leaky.respondents" in v for v in found)
    assert any("/page" in v and "opt=" in v for v in found)
    assert not any("/honest" in v for v in found)


def test_a_page_must_name_the_struct_it_renders_and_that_struct_is_checked() -> None:
    @get("/page", sync_to_thread=False, opt={"view": _Leaky})
    def page() -> str:
        return ""

    @get("/quiet", sync_to_thread=False, opt={"view": None})
    def quiet() -> str:
        return ""

    found = violations(Litestar([page, quiet]))
    assert found == ["['GET'] /page: _Leaky.respondents"]


# --- raw answers are read in one place -----------------------------------------------------------

SERVICE = Path(__file__).resolve().parent.parent / "service"
RAW_TABLES = ("responses", "comments")
WAVES = {"surveys/waves/queries.py"}


def _sql_strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.value.lower()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_raw_answers_are_read_only_by_the_rollup_the_close_and_the_guarded_comment_read() -> None:
    import re

    readers: dict[str, set[str]] = {}
    for path in sorted(SERVICE.rglob("*.py")):
        for text in _sql_strings(path):
            for table in RAW_TABLES:
                if re.search(rf"\b(from|join)\s+{table}\b", text):
                    readers.setdefault(table, set()).add(path.relative_to(SERVICE).as_posix())
    # Case-insensitive, over every string constant: a lower-case `select ... from responses`
    # anywhere in the service is found. Only these modules hold statements that read them.
    assert readers.get("responses", set()) <= {"analytics/queries.py", *WAVES}
    assert readers.get("comments", set()) <= {"analytics/queries.py", *WAVES}
