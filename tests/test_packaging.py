"""compose.yaml and the Dockerfile agree with the code (no Docker engine here to run them)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_ENV = set(re.findall(r'"([A-Z][A-Z_]+)"', (ROOT / "service/settings.py").read_text()))


def test_compose_has_the_production_services_with_healthchecks() -> None:
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = spec["services"]
    assert {"postgres", "redis", "mailpit", "migrate", "api", "worker"} <= set(services)
    for name in ("postgres", "redis", "api", "worker"):
        assert "healthcheck" in services[name], name
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert (
        services["worker"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    )
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_only_sets_variables_the_settings_read() -> None:
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())
    for name in ("migrate", "api", "worker"):
        env = spec["services"][name]["environment"]
        unknown = set(env) - SETTINGS_ENV
        assert not unknown, (name, unknown)
        assert {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "SECRET_KEY", "PUBLIC_BASE_URL"} <= set(
            env
        )


def test_compose_commands_are_real_cli_commands() -> None:
    from service.cli import build_parser

    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())
    parser = build_parser()
    for name in ("migrate", "api", "worker"):
        command = spec["services"][name]["command"]
        assert command[0] == "candor"
        parser.parse_args(command[1:])  # raises SystemExit on an unknown command or flag


def test_dockerfile_runs_as_a_non_root_user_with_the_lockfile() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER candor$", text, re.M)
    assert "uv sync --frozen --no-dev" in text
    assert "COPY sql ./sql" in text
