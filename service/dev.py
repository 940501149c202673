"""`candor dev`: the one-command try-out.

Starts whatever is not configured (embedded PostgreSQL, Redis, an SMTP sink) in the data folder,
migrates, seeds the demo org once, then runs the API (granian) and an arq worker as child
processes and prints where to click. Ctrl-C (or SIGTERM) stops children first, then the
embedded services; a lock file keeps a second `candor dev` off the same data folder.
While it runs, `dev.json` in the data folder tells other `candor` commands how to reach it
(see devrecord.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

from . import devrecord
from .bootstrap import CliError, connect_checked, run_migrations
from .embedded import EmbeddedError, EmbeddedPostgres, EmbeddedRedis, free_port
from .serve import granian_argv
from .settings import Settings


def _lock(folder: Path) -> IO[str]:
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / "dev.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        raise CliError(
            f"another `candor dev` (pid {pid}) is already using {folder}; stop it first "
            "or set CANDOR_DATA_DIR to another folder"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _secret(folder: Path) -> str:
    """A SECRET_KEY kept in the data folder, so links in captured mails survive a restart."""
    path = folder / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CliError("the API process exited during start-up; see the lines above")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "/ready", timeout=1) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    return
        time.sleep(0.2)
    raise CliError(f"the API did not become ready within {seconds:.0f} s")


def _seed(dsn: str, settings: Settings, folder: Path, env: dict[str, str]) -> dict[str, Any]:
    from .demo import seed_demo, send_demo_signin_links

    async def go() -> dict[str, Any]:
        conn = await connect_checked(dsn)
        try:
            demo = await seed_demo(conn, folder, settings)
            await send_demo_signin_links(
                conn, env["SECRET_KEY"], env["REDIS_URL"], settings.arq_queue
            )
            return demo
        finally:
            await conn.close()

    return asyncio.run(go())


def run_dev(settings: Settings, host: str, port: int, with_worker: bool = True) -> None:
    folder = Path(settings.data_dir)
    lock = _lock(folder)
    if not _port_free(host, port):
        raise CliError(f"port {port} on {host} is in use; pass --port to pick another")
    started = time.monotonic()
    pg = EmbeddedPostgres(folder)
    redis = EmbeddedRedis(folder)
    sink = None
    children: list[subprocess.Popen[bytes]] = []
    stop = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        devrecord.remove_note(folder)  # one left by a `candor dev` that was killed
        env = dict(os.environ)
        env["CANDOR_ENV"] = "dev"
        env["CANDOR_DATA_DIR"] = str(folder)
        secret_file = None
        if not env.get("SECRET_KEY"):
            env["SECRET_KEY"] = _secret(folder)
            secret_file = str((folder / "secret_key").resolve())
        env.setdefault("LOG_FORMAT", "console")
        env.setdefault("LOG_LEVEL", "WARNING")
        try:
            dsn = settings.database_url or pg.start()
            env["DATABASE_URL"] = dsn
            env["REDIS_URL"] = settings.redis_url or redis.start()
        except EmbeddedError as exc:
            raise CliError(str(exc)) from None
        if not settings.smtp_url:
            from .devsink import SmtpSink

            sink = SmtpSink(folder / "outbox", free_port())
            env["SMTP_URL"] = sink.start()
        public = settings.public_base_url
        if public == "http://127.0.0.1:8000" and port != 8000:
            public = f"http://{host}:{port}"
        env["PUBLIC_BASE_URL"] = public
        applied = asyncio.run(run_migrations(dsn))
        # Children import the app while the demo data is written: start-up overlaps.
        children.append(subprocess.Popen(granian_argv(host, port), env=env, start_new_session=True))
        if with_worker:
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "service.cli", "worker"], env=env, start_new_session=True
                )
            )
        demo = _seed(dsn, settings, folder, env)
        base = f"http://{host}:{port}"
        devrecord.write_note(
            folder,
            devrecord.DevInstance(
                pid=os.getpid(),
                api_url=base,
                database_url=dsn,
                redis_url=env["REDIS_URL"],
                secret_key_file=secret_file,
            ),
        )
        _wait_ready(base, children[0])
        elapsed = time.monotonic() - started
        print(
            f"\nCandor is up in {elapsed:.1f} s (migrations applied now: {len(applied)})\n"
            f"  API docs      {base}/schema\n"
            f"  readiness     {base}/ready\n"
            f"  dev outbox    {base}/dev/outbox   (mails captured locally)\n"
            f"  console       {base}/console/sign-in  as {demo.get('leader_email', '')} (leader) "
            f"or {demo.get('admin_email', '')} (admin); their sign-in links are in the outbox\n"
            f"  demo org      {demo.get('org_name', '')}  admin key: {demo.get('admin_key', '')}\n"
            f"  try           curl -H 'Authorization: Bearer {demo.get('admin_key', '')}' "
            f"{base}/api/v1/org\n"
            f"  CLI           candor org list; candor key list --org '{demo.get('org_name', '')}'"
            "   (same data folder: they use this instance)\n"
            f"  groups        {base}/api/v1/pulses/{demo.get('pulse_id', '')}/preview   (same key; "
            "small teams are reported together, e.g. Design with Data)\n"
            f"  data folder   {folder.resolve()}\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        crashed = None
        while not stop and crashed is None:
            crashed = next((c for c in children if c.poll() is not None), None)
            time.sleep(0.2)
        if crashed is not None:
            name = "API" if crashed is children[0] else "worker"
            raise CliError(f"the {name} process exited with code {crashed.returncode}; see above")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # First, so that no command picks up an instance that is going away.
        devrecord.remove_note(folder)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(5)
        if sink is not None:
            sink.stop()
        redis.stop()
        pg.stop()
        lock.close()
        print("Candor stopped.", flush=True)
