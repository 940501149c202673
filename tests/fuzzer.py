"""The fuzzer: schemathesis cases for every operation of the app's own OpenAPI schema, sent to
the real server under each kind of caller, every response judged by the checks below.

Callers ("profiles"): no credentials at all, Acme's admin key, Acme's leader key (scoped to a
subtree) and, on the widget routes, Acme's widget token. Generated path ids are often swapped
for ids that exist (Acme's teams, waves, pulses, people...) so cases get past "not found" and
into the code that does the work; respondent submits sometimes carry a full, valid set of
answers for the same reason.

Checks: schemathesis's own (no 5xx, status code / content type / headers / body conform to the
schema, and in negative mode that invalid input is refused) plus `problem_details`: every 4xx
of the JSON API is `application/problem+json` with a `status` equal to the HTTP status and a
`title`; pages for people (the widget iframe, the badge) answer a 4xx HTML page or SVG image.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.servers import LiveServer
from tests.worlds import FuzzWorld

PROBLEM_JSON = "application/problem+json"
# Pages a person looks at answer errors in their own kind (HTML, an image), not JSON.
HUMAN_PAGES = {
    "/embed/v1/frame": "text/html",
    "/embed/v1/badge.svg": "image/svg+xml",
    "/s/{token}": "text/html",
    "/optout/{token}": "text/html",
}


def problem_details(ctx: Any, response: Any, case: Case) -> bool | None:
    """A 4xx is problem details (or, on a page for people, a 4xx page or image)."""
    status = response.status_code
    if not 400 <= status < 500:
        return None
    media = (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
    path = case.operation.path
    human = HUMAN_PAGES.get(path) or ("text/html" if path.startswith("/console") else None)
    # The widget page and badge share the API's rate limit, whose 429 is problem details.
    if human is not None and not (status == 429 and media == PROBLEM_JSON):
        if media != human:
            raise AssertionError(f"{status} from a page for people came as {media!r}, not {human}")
        return None
    if media != PROBLEM_JSON:
        raise AssertionError(f"{status} answered with {media!r}, not {PROBLEM_JSON}")
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{status} problem body is not JSON") from None
    if not isinstance(body, dict) or body.get("status") != status or not body.get("title"):
        raise AssertionError(f"{status} problem body lacks status/title: {str(body)[:200]}")
    return None


CheckFn = Callable[[Any, Any, Case], bool | None]
POSITIVE_CHECKS: list[tuple[str, CheckFn]] = [
    ("not_a_server_error", not_a_server_error),
    ("status_code_conformance", status_code_conformance),
    ("content_type_conformance", content_type_conformance),
    ("response_headers_conformance", response_headers_conformance),
    ("response_schema_conformance", response_schema_conformance),
    ("problem_details", problem_details),
]
NEGATIVE_CHECKS: list[tuple[str, CheckFn]] = [
    ("not_a_server_error", not_a_server_error),
    ("negative_data_rejection", negative_data_rejection),
    ("problem_details", problem_details),
]


@dataclass(frozen=True)
class Size:
    """Examples per operation for each profile (0 = skip)."""

    admin: int
    leader: int
    anonymous: int
    widget: int
    negative: int


QUICK = Size(admin=6, leader=3, anonymous=2, widget=12, negative=3)
FULL = Size(admin=40, leader=15, anonymous=6, widget=60, negative=15)


@dataclass
class Finding:
    check: str
    operation: str
    profile: str
    status: int
    message: str
    curl: str


@dataclass
class Report:
    cases: int = 0
    by_profile: Counter[str] = field(default_factory=Counter)
    ok_by_profile: Counter[str] = field(default_factory=Counter)  # 2xx answers
    by_operation: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    passed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    findings: dict[tuple[str, str, int], Finding] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failures(self) -> int:
        return sum(self.failed.values())

    def summary(self) -> dict[str, Any]:
        checks = sorted(set(self.passed) | set(self.failed))
        return {
            "cases": self.cases,
            "failures": self.failures,
            "distinct_findings": len(self.findings),
            "checks": {c: {"passed": self.passed[c], "failed": self.failed[c]} for c in checks},
            "operations": len(self.by_operation),
            "by_profile": dict(self.by_profile),
            "ok_by_profile": dict(self.ok_by_profile),
            "statuses": dict(sorted(self.statuses.items())),
            "seconds": round(self.seconds, 1),
        }

    def describe_findings(self, server: LiveServer | None = None) -> str:
        parts = [
            f"[{f.check}] {f.operation} as {f.profile} -> {f.status}\n{f.message}\n{f.curl}"
            for f in self.findings.values()
        ]
        if server is not None and any(f.status >= 500 for f in self.findings.values()):
            parts.append("server log:\n" + server.log_tail())
        return "\n\n".join(parts)


def _known_ids(world: FuzzWorld) -> dict[str, list[str]]:
    """Real values for path parameters, by parameter name (Acme's, the fuzzing org's)."""
    a = world.acme
    return {
        "team_id": [str(t) for t in a.teams.values()],
        "wave_id": [str(a.closed_wave), str(a.open_wave)],
        "pulse_id": [str(a.pulse_id)],
        "person_id": [str(p) for p in a.people[:5]],
        # Never the keys the fuzzer itself uses: revoking those would end the run early.
        "key_id": [str(world.spare_key_id)],
        "token_id": [],
        "key": ["ps.risk", "tr.reliable", "su.disagree"],
        "token": world.respond_tokens[:],
    }


def _profiles(path: str, size: Size) -> list[tuple[str, int, GenerationMode]]:
    if path.startswith("/embed/"):
        return [
            ("widget", size.widget, GenerationMode.POSITIVE),
            ("anonymous", size.anonymous, GenerationMode.POSITIVE),
            ("anonymous", size.negative, GenerationMode.NEGATIVE),
        ]
    if path.startswith(("/s/", "/optout/")):
        # Pages behind a token: the token is the credential, real ones reach the form.
        return [
            ("anonymous", size.widget, GenerationMode.POSITIVE),
            ("anonymous", size.negative, GenerationMode.NEGATIVE),
        ]
    if path.startswith("/api/"):
        return [
            ("admin", size.admin, GenerationMode.POSITIVE),
            ("leader", size.leader, GenerationMode.POSITIVE),
            ("anonymous", size.anonymous, GenerationMode.POSITIVE),
            ("admin", size.negative, GenerationMode.NEGATIVE),
        ]
    return [("anonymous", max(2, size.anonymous), GenerationMode.POSITIVE)]


def _prepare(
    case: Case,
    profile: str,
    world: FuzzWorld,
    data: Any,
    known: dict[str, list[str]],
    negative: bool,
) -> None:
    """Credentials for the profile, and (sometimes) real ids and real answers."""
    headers = dict(case.headers or {})
    for name in list(headers):
        if name.lower() == "authorization":
            del headers[name]
    if profile == "admin":
        headers["Authorization"] = f"Bearer {world.acme.admin_key}"
    elif profile == "leader":
        headers["Authorization"] = f"Bearer {world.leader_key}"
    case.headers = headers
    if negative:
        # A negative case breaks the schema on purpose; anything more than credentials would
        # blur which part of it is broken.
        return
    if profile == "widget":
        query = dict(case.query or {})
        query["token"] = world.acme.widget_token
        if data.draw(st.booleans(), label="drop team"):
            query.pop("team", None)
        case.query = query
    if case.path_parameters:
        params = dict(case.path_parameters)
        for name in params:
            choices = known.get(name) or []
            if choices and data.draw(st.booleans(), label=f"real {name}"):
                params[name] = data.draw(st.sampled_from(choices), label=name)
        case.path_parameters = params
    if case.operation.path in _ANSWER_ROUTES and data.draw(st.booleans(), label="answers"):
        # These routes read their bodies themselves (to answer 415 / 413 / a re-rendered form),
        # so the schema has no body for them: bring answers, often valid, sometimes not.
        answers, comment = data.draw(_answers(world.open_item_keys), label="answers")
        if case.operation.path == "/api/v1/respond/{token}":
            case.body = {"answers": answers, **({"comment": comment} if comment else {})}
            case.media_type = "application/json"
        else:
            form = {f"item:{k}": str(v) for k, v in answers.items()}
            case.body = {**form, **({"comment": comment} if comment else {})}
            case.media_type = "application/x-www-form-urlencoded"


_ANSWER_ROUTES = ("/api/v1/respond/{token}", "/s/{token}")


@st.composite
def _answers(draw: Any, keys: list[str]) -> tuple[dict[str, int], str]:
    if draw(st.booleans()):
        value = draw(st.integers(1, 7))
        answers = {k: value for k in keys}
    else:
        names = st.sampled_from(keys) | st.text(min_size=1, max_size=20)
        answers = draw(st.dictionaries(names, st.integers(-100, 100), max_size=10))
    comment = draw(st.none() | st.text(max_size=300) | st.just("<b>hi</b>"))
    return answers, comment or ""


def _judge(
    case: Case,
    response: Any,
    checks: list[tuple[str, CheckFn]],
    profile: str,
    report: Report,
) -> None:
    for name, fn in checks:
        try:
            case.validate_response(response, checks=[fn])  # type: ignore[list-item]
        except FailureGroup as group:
            report.failed[name] += 1
            key = (name, case.operation.label, response.status_code)
            if key not in report.findings:
                report.findings[key] = Finding(
                    name,
                    case.operation.label,
                    profile,
                    response.status_code,
                    "\n".join(str(f.title) + ": " + str(f.message) for f in group.exceptions)[
                        :1500
                    ],
                    case.as_curl_command(headers=dict(response.request.headers))[:1500],
                )
        except AssertionError as exc:
            report.failed[name] += 1
            key = (name, case.operation.label, response.status_code)
            report.findings.setdefault(
                key,
                Finding(
                    name,
                    case.operation.label,
                    profile,
                    response.status_code,
                    str(exc)[:1500],
                    case.as_curl_command(headers=dict(response.request.headers))[:1500],
                ),
            )
        else:
            report.passed[name] += 1


def _one_operation(
    server: LiveServer,
    world: FuzzWorld,
    strategy: Any,
    profile: str,
    checks: list[tuple[str, CheckFn]],
    known: dict[str, list[str]],
    report: Report,
    session: requests.Session,
) -> Callable[[Any], None]:
    def one(data: Any) -> None:
        case = data.draw(strategy, label="case")
        _prepare(case, profile, world, data, known, checks is NEGATIVE_CHECKS)
        response = case.call(base_url=server.base_url, session=session, timeout=15)
        report.cases += 1
        report.by_profile[profile] += 1
        report.by_operation[case.operation.label] += 1
        if 200 <= response.status_code < 300:
            report.ok_by_profile[profile] += 1
        report.statuses[str(response.status_code)] += 1
        _judge(case, response, checks, profile, report)

    return one


_ENDINGS = ("/close", "/deactivate", "/archive", "/retire")


def run_fuzz(server: LiveServer, world: FuzzWorld, size: Size, seed: int = 0) -> Report:
    """Fuzz every operation of the served schema; report what happened (findings never raise)."""
    started = time.perf_counter()
    schema = schemathesis.openapi.from_url(server.base_url + "/schema/openapi.json")
    report = Report()
    known = _known_ids(world)
    session = requests.Session()
    # Operations that end things (close the open wave, revoke, deactivate, archive) go last, so
    # the others still meet an open wave, live tokens and active people.
    operations = sorted(
        (r.ok() for r in schema.get_all_operations()),
        key=lambda op: op.method.upper() == "DELETE" or op.path.endswith(_ENDINGS),
    )
    rng = random.Random(seed)
    for op in operations:
        for profile, examples, mode in _profiles(op.path, size):
            if examples <= 0:
                continue
            checks = NEGATIVE_CHECKS if mode == GenerationMode.NEGATIVE else POSITIVE_CHECKS
            strategy = op.as_strategy(generation_mode=mode)

            test = _one_operation(server, world, strategy, profile, checks, known, report, session)
            runner = hypothesis.seed(rng.randrange(2**32))(
                hypothesis.settings(
                    max_examples=examples,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                    verbosity=hypothesis.Verbosity.quiet,
                )(hypothesis.given(data=st.data())(test))
            )
            try:
                runner()
            except hypothesis.errors.Unsatisfiable:
                continue
    report.seconds = time.perf_counter() - started
    return report
