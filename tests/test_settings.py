"""Settings: one typed object; bad values stop start-up with one line naming the variable."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys

import pytest

from service.settings import SettingsError, load_settings

GOOD = {"SECRET_KEY": "Zq7-vL2pXe9_KmT4rWc8NbY1hUo6FsAj3dGi", "CANDOR_ENV": "production"}


def test_defaults_are_sane() -> None:
    s = load_settings(GOOD)
    assert s.database_url is None and s.redis_url is None
    assert s.log_format == "json"
    assert s.public_base_url == "http://127.0.0.1:8000"
    assert s.body_timeout_seconds == 20


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://h:notaport/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql:///db"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL"),
        ({"SMTP_URL": "smtp://"}, "SMTP_URL"),
        ({"PUBLIC_BASE_URL": "ftp://x"}, "PUBLIC_BASE_URL"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"DB_POOL_MAX": "many"}, "DB_POOL_MAX"),
        ({"BODY_TIMEOUT_SECONDS": "soon"}, "BODY_TIMEOUT_SECONDS"),
        ({"BODY_TIMEOUT_SECONDS": "0"}, "BODY_TIMEOUT_SECONDS"),
        ({"BODY_TIMEOUT_SECONDS": "100000"}, "BODY_TIMEOUT_SECONDS"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
    ],
)
def test_malformed_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings({**GOOD, **env})


WEAK_KEYS = [
    "a" * 36,
    "ab" * 20,
    "changeme" * 4,
    "0123456789abcdef" * 2,
    "password1234567890" * 2,
    "x" * 31 + "yz",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
]


@pytest.mark.parametrize("key", WEAK_KEYS)
def test_production_refuses_a_low_variety_secret_key(key: str) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY") as info:
        load_settings({**GOOD, "SECRET_KEY": key})
    assert key not in str(info.value)
    assert "\n" not in str(info.value)


def test_generated_secret_keys_are_accepted() -> None:
    # Every usual generator, at the shortest length the README allows, many times over.
    generators = [
        lambda: secrets.token_hex(16),  # 32 hex characters
        lambda: secrets.token_urlsafe(24),  # 32 URL-safe characters
        lambda: base64.b64encode(secrets.token_bytes(24)).decode(),
        lambda: "".join(secrets.choice("0123456789") for _ in range(40)),
        lambda: secrets.token_urlsafe(48),
    ]
    for make in generators:
        for _ in range(2000):
            load_settings({**GOOD, "SECRET_KEY": make()})


def test_dev_and_test_keep_accepting_fixed_keys() -> None:
    # Tests and benchmarks run with fixed, readable keys; only production is strict.
    for env in ("dev", "test"):
        load_settings({"CANDOR_ENV": env, "SECRET_KEY": "k" * 40})


def test_secret_is_never_in_the_error_or_repr() -> None:
    secret = "topsecret-Vb3nQ8xLr2Wk9Zp5Tc7Hy4Jm6Fd1Gs"
    with pytest.raises(SettingsError) as info:
        load_settings({**GOOD, "SECRET_KEY": secret, "DATABASE_URL": f"mysql://u:{secret}@h/db"})
    assert secret not in str(info.value)


def _candor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_reports_a_malformed_database_url_in_one_line() -> None:
    r = _candor("migrate", env={**GOOD, "DATABASE_URL": "postgres://user:pw@host:port/db"})
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0]
    assert "Traceback" not in r.stderr and "pw@" not in r.stderr


def test_cli_reports_an_unreachable_postgres_without_its_password() -> None:
    r = _candor(
        "migrate", env={**GOOD, "DATABASE_URL": "postgresql://u:hunter2secret@127.0.0.1:9/db"}
    )
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach PostgreSQL at 127.0.0.1:9" in lines[0]
    assert "hunter2secret" not in r.stderr + r.stdout


def test_cli_production_without_secret_key_refuses_to_start() -> None:
    r = _candor("worker", env={"CANDOR_ENV": "production", "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert r.returncode == 2
    assert "SECRET_KEY" in r.stderr and "Traceback" not in r.stderr


def test_cli_refuses_a_weak_production_key_in_one_line() -> None:
    r = _candor(
        "worker", env={**GOOD, "SECRET_KEY": "a" * 36, "REDIS_URL": "redis://127.0.0.1:9/0"}
    )
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "SECRET_KEY" in lines[0], r.stderr
    assert "a" * 36 not in r.stderr + r.stdout and "Traceback" not in r.stderr


def test_org_create_prints_a_working_admin_key_once(database_url: str) -> None:
    r = _candor("org", "create", "Initech", env={**GOOD, "DATABASE_URL": database_url})
    assert r.returncode == 0, r.stderr
    assert "admin API key" in r.stdout
    key = r.stdout.strip().split()[-1]
    assert key.startswith("cnd_") and len(key) >= 40


def test_cli_worker_rejects_a_bad_delivery_knob_in_one_line() -> None:
    r = _candor(
        "worker",
        env={
            **GOOD,
            "DATABASE_URL": "postgresql://u@127.0.0.1:9/db",
            "REDIS_URL": "redis://127.0.0.1:9/0",
            "DELIVERY_BATCH_SIZE": "lots",
        },
    )
    assert r.returncode == 2
    assert "DELIVERY_BATCH_SIZE" in r.stderr and "Traceback" not in r.stderr
