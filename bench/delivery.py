"""Delivery throughput: one real worker process vs a bare aiosmtplib loop, same SMTP sink.

    uv run python bench/delivery.py            # 10,000-person wave
    uv run python bench/delivery.py --quick    # 2,000-person wave, < 1 minute

The SMTP sink is aiosmtpd in its own process (it accepts and discards). In the same run:
- bare: `concurrency` aiosmtplib connections sending a pre-built message of the same size as
  the real invitation, as fast as they can (run before and after the worker; the mean counts);
- worker: `candor worker` in its own process; a wave is opened (open_wave: invitations and
  outbox rows) and the worker is nudged; we time until the last outbox row is 'sent'.
ratio = worker emails/s / bare emails/s. PostgreSQL comes from TEST_DATABASE_URL (a fresh
database, dropped after) or an embedded server; Redis from TEST_REDIS_URL or an embedded one.
The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiosmtplib  # noqa: E402
import asyncpg  # noqa: E402
from _load import database, redis  # noqa: E402

from service.embedded import free_port  # noqa: E402
from service.migrate import migrate  # noqa: E402
from service.settings import load_settings  # noqa: E402
from service.surveys.delivery import DeliveryConfig  # noqa: E402
from service.surveys.delivery.mail import build_message  # noqa: E402
from service.surveys.delivery.models import OutboxItem  # noqa: E402

SECRET = secrets.token_urlsafe(32)  # a production-strength key, new each run


def run_sink(port: int) -> None:
    """The SMTP sink process: accept every message, keep nothing."""
    from aiosmtpd.controller import Controller

    class Accept:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    controller = Controller(Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


@contextlib.contextmanager
def sink() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--sink", str(port)], cwd=ROOT)
    try:
        _wait_port(port)
        yield f"smtp://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def sample_message_bytes() -> bytes:
    """A real invitation, flattened: the bare loop sends bytes of exactly this size."""
    settings = load_settings({"CANDOR_ENV": "test", "SECRET_KEY": SECRET})
    item = OutboxItem(
        id=uuid4(), org_id=uuid4(), invitation_id=uuid4(), kind="invite", reminder_no=0,
        attempts=1, person_id=uuid4(), email="person-bench-0@example.test",
        display_name="Person bench 0", locale="en", opted_out=False, responded=False,
        wave_id=uuid4(), wave_state="open", closes_at=datetime.now(UTC) + timedelta(days=6),
        k=5, pulse_id=uuid4(), pulse_name="Team pulse", org_name="Bench org",
    )  # fmt: skip
    return build_message(settings, item).data


async def bare_loop(smtp_url: str, message: bytes, total: int, connections: int) -> float:
    """Emails/s of plain aiosmtplib clients, one per connection, sending `total` messages."""
    parts = urlsplit(smtp_url)
    per = [total // connections + (i < total % connections) for i in range(connections)]

    async def one(n: int) -> None:
        client = aiosmtplib.SMTP(
            hostname=parts.hostname, port=parts.port, start_tls=False, local_hostname="bench"
        )
        await client.connect()
        for i in range(n):
            await client.sendmail("pulse@candor.invalid", [f"p{i}@example.test"], message)
        await client.quit()

    start = time.perf_counter()
    await asyncio.gather(*(one(n) for n in per))
    return total / (time.perf_counter() - start)


async def seed(dsn: str, people: int) -> tuple[Any, Any]:
    from service.db import connect
    from service.orgs import create_org
    from service.surveys.pulses.bank import install_builtin_items
    from tests.factories import default_pulse_items

    conn = await connect(dsn)
    try:
        await migrate(conn)
        async with conn.transaction():
            org_id, _ = await create_org(conn, "Bench org", setup=[install_builtin_items])
            team = await conn.fetchval(
                "INSERT INTO teams (org_id, name) VALUES ($1, 'Everyone') RETURNING id", org_id
            )
            await conn.execute(
                """
                INSERT INTO people (org_id, email, display_name, team_id)
                SELECT $1, 'person-' || g || '@example.test', 'Person ' || g, $2
                FROM generate_series(1, $3) g
                """,
                org_id,
                team,
                people,
            )
            core, rotating = default_pulse_items()
            pulse = await conn.fetchval(
                """
                INSERT INTO pulses (org_id, name, team_ids, core_items, rotating_items,
                                    items_per_wave, cadence, open_days)
                VALUES ($1, 'Bench pulse', $2, $3, $4, $5, 'weekly', 6) RETURNING id
                """,
                org_id,
                [team],
                core,
                rotating,
                min(7, max(3, len(core) + 1)),
            )
    finally:
        await conn.close()
    return org_id, pulse


async def worker_run(dsn: str, redis_url: str, smtp_url: str, people: int) -> dict[str, float]:
    from arq.connections import ArqRedis
    from redis.asyncio import Redis

    from service.surveys.delivery import kick_delivery
    from service.surveys.waves import open_wave

    org_id, pulse_id = await seed(dsn, people)
    queue = f"candor-bench:{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "CANDOR_ENV": "production",
        "DATABASE_URL": dsn,
        "REDIS_URL": redis_url,
        "SMTP_URL": smtp_url,
        "SECRET_KEY": SECRET,
        "ARQ_QUEUE": queue,
        "WORKER_NAME": "bench",
        "LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.cli", "worker", cwd=ROOT, env=env
    )
    client = Redis.from_url(redis_url)
    arq = ArqRedis(connection_pool=client.connection_pool, default_queue_name=queue)
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + 30
        while not await client.exists(f"{queue}:health-check:bench"):
            if proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker did not start")
            await asyncio.sleep(0.05)
        opened = time.perf_counter()
        async with conn.transaction():
            wave_id = await open_wave(conn, org_id, pulse_id, secret=SECRET)
        kicked = time.perf_counter()
        await kick_delivery(arq, org_id, wave_id)
        while True:
            sent = await conn.fetchval("SELECT count(*) FROM outbox WHERE state = 'sent'")
            if sent >= people:
                break
            if proc.returncode is not None:
                raise RuntimeError("the worker died")
            await asyncio.sleep(0.1)  # polling harder would take CPU from the worker
        done = time.perf_counter()
        bad = await conn.fetchval("SELECT count(*) FROM outbox WHERE state <> 'sent'")
    finally:
        await conn.close()
        await client.aclose()
        proc.terminate()
        await proc.wait()
    return {
        "open_wave_s": kicked - opened,
        "send_s": done - kicked,
        "wave_to_last_email_s": done - opened,
        "not_sent": float(bad),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        run_sink(args.sink)
        return
    people = 2_000 if args.quick else 10_000
    connections = DeliveryConfig.from_env().concurrency
    message = sample_message_bytes()
    with database() as dsn, redis() as redis_url, sink() as smtp_url:
        asyncio.run(bare_loop(smtp_url, message, 300, connections))  # warm-up
        # Bare runs before and after the worker, so a load swing on a shared machine during
        # the run weighs on both sides of the ratio alike.
        bare_before = asyncio.run(bare_loop(smtp_url, message, people // 2, connections))
        worker = asyncio.run(worker_run(dsn, redis_url, smtp_url, people))
        bare_after = asyncio.run(bare_loop(smtp_url, message, people // 2, connections))
    bare = (bare_before + bare_after) / 2
    worker_rate = people / worker["send_s"]
    result = {
        "bench": "delivery",
        "quick": args.quick,
        "wave_people": people,
        "note": "quick mode opens a 2,000-person wave, not 10,000"
        if args.quick
        else "10,000-person wave",
        "connections": connections,
        "message_bytes": len(message),
        "bare_emails_per_s": round(bare, 1),
        "bare_before_after": [round(bare_before, 1), round(bare_after, 1)],
        "worker_emails_per_s": round(worker_rate, 1),
        "ratio": round(worker_rate / bare, 3),
        "open_wave_s": round(worker["open_wave_s"], 2),
        "wave_to_last_email_s": round(worker["wave_to_last_email_s"], 2),
        "not_sent": int(worker["not_sent"]),
        "goal": {"ratio": 0.7, "wave_10k_s": 30},
    }
    print(
        f"bare {bare:.0f}/s, worker {worker_rate:.0f}/s (ratio {result['ratio']}), "
        f"{people} people: open {worker['open_wave_s']:.2f}s, last email after "
        f"{worker['wave_to_last_email_s']:.2f}s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
