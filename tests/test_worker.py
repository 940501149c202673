"""`candor worker`: arq built from the same settings, with a health check for orchestrators."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys

from service.settings import Settings
from service.worker import worker_settings
from tests.factories import TEST_SECRET
from tests.waiting import wait_until_sync


def _env(settings: Settings, name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CANDOR_ENV": "production",
            "DATABASE_URL": settings.database_url or "",
            "REDIS_URL": settings.redis_url or "",
            "SMTP_URL": settings.smtp_url or "",
            "SECRET_KEY": TEST_SECRET,
            "ARQ_QUEUE": f"candor-worker-test:{secrets.token_hex(3)}",
            "WORKER_NAME": name,
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def _check(env: dict[str, str]) -> int:
    r = subprocess.run(
        [sys.executable, "-m", "service.cli", "worker", "--check"],
        env=env,
        capture_output=True,
        timeout=30,
    )
    return r.returncode


def test_worker_settings_come_from_the_service_settings(settings: Settings) -> None:
    options = worker_settings(settings)
    assert options["queue_name"] == settings.arq_queue
    assert options["keep_result"] == 0  # kept results would block re-enqueueing a job id
    assert options["functions"], "the worker must have jobs to run"
    assert settings.arq_queue in options["health_check_key"]


def test_health_check_fails_without_a_worker_and_passes_with_one(
    settings: Settings, pool: object
) -> None:
    env = _env(settings, f"w-{secrets.token_hex(3)}")
    assert _check(env) == 1
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def healthy() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
            return _check(env) == 0

        wait_until_sync(healthy, "the worker to report healthy", timeout=30, interval=0.5)
        # Another worker's key is its own: a differently named worker is not healthy.
        assert _check({**env, "WORKER_NAME": "someone-else"}) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0
