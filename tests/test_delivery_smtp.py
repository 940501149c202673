"""SMTP_URL flavours against real servers (plain, STARTTLS with login, implicit TLS), the
email itself (locale, escaping, headers), and a worker process killed mid-batch."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from service.settings import Settings
from service.surveys.delivery import DeliveryConfig, sweep_outbox
from service.surveys.delivery.mail import build_message
from service.surveys.delivery.models import OutboxItem
from service.surveys.delivery.sender import deliver_pending, smtp_options
from tests.factories import ROOT, Org
from tests.smtp import LINK, Smtp, smtp_server, with_smtp
from tests.waiting import wait_until
from tests.workers import FAST, burst_worker, outbox_states, run_burst
from tests.worlds import open_test_wave


def test_smtp_url_schemes_say_exactly_what_they_do() -> None:
    plain = smtp_options("smtp://mail.example.com", timeout=5, local_hostname="x")
    assert (plain["port"], plain["use_tls"], plain["start_tls"]) == (25, False, False)
    starttls = smtp_options(
        "smtp+starttls://us%40er:p%3Ass@mail.example.com?cafile=/ca.pem",
        timeout=5,
        local_hostname="x",
    )
    assert (starttls["port"], starttls["start_tls"]) == (587, True)
    assert (starttls["username"], starttls["password"]) == ("us@er", "p:ss")
    assert starttls["cert_bundle"] == "/ca.pem"
    tls = smtp_options("smtps://mail.example.com:2465?verify=false", timeout=5, local_hostname="x")
    assert (tls["port"], tls["use_tls"], tls["validate_certs"]) == (2465, True, False)
    with pytest.raises(ValueError):
        smtp_options("http://mail.example.com", timeout=5, local_hostname="x")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed, so no self-signed certificate for the TLS tests")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def _server_tls(certificate: tuple[str, str]) -> Any:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _only(user: bytes, password: bytes) -> Any:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (user, password)
        return AuthResult(success=ok, handled=False)

    return authenticator


async def test_starttls_with_login_delivers_and_a_wrong_password_is_recorded(
    pool: asyncpg.Pool, org: Org, settings: Settings, certificate: tuple[str, str]
) -> None:
    wave = await open_test_wave(pool, org.id, people=3)
    handler = Smtp()
    kwargs = {
        "tls_context": _server_tls(certificate),
        "require_starttls": True,
        "authenticator": _only(b"candor", b"s3cret:pw"),
        "auth_required": True,
    }
    with smtp_server(handler, **kwargs) as url:
        port = url.rsplit(":", 1)[1]
        base = f"127.0.0.1:{port}?cafile={certificate[0]}"
        wrong = with_smtp(settings, f"smtp+starttls://candor:nope@{base}")
        one_try = DeliveryConfig(**{**FAST.__dict__, "max_attempts": 1})
        await deliver_pending(pool, wrong, one_try, wave.org_id, wave.wave_id)
        assert await outbox_states(pool, wave.wave_id) == {"failed": 3}
        assert "535" in await pool.fetchval("SELECT last_error FROM outbox LIMIT 1")
        await pool.execute("UPDATE outbox SET state = 'pending', attempts = 0")
        right = with_smtp(settings, f"smtp+starttls://candor:s3cret%3Apw@{base}")
        await deliver_pending(pool, right, FAST, wave.org_id, wave.wave_id)
    assert len(handler.recipients()) == 3
    assert await outbox_states(pool, wave.wave_id) == {"sent": 3}


async def test_implicit_tls_smtps_delivers(
    pool: asyncpg.Pool, org: Org, settings: Settings, certificate: tuple[str, str]
) -> None:
    wave = await open_test_wave(pool, org.id, people=2)
    handler = Smtp()
    with smtp_server(
        handler, server_kwargs={"tls_context": None}, ssl_context=_server_tls(certificate)
    ) as url:
        port = url.rsplit(":", 1)[1]
        secure = with_smtp(settings, f"smtps://127.0.0.1:{port}?cafile={certificate[0]}")
        await deliver_pending(pool, secure, FAST, wave.org_id, wave.wave_id)
    assert len(handler.recipients()) == 2


def _item(**changes: Any) -> OutboxItem:
    values: dict[str, Any] = {
        "id": uuid4(), "org_id": uuid4(), "invitation_id": uuid4(), "kind": "invite",
        "reminder_no": 0, "attempts": 1, "person_id": uuid4(), "email": "ann@example.test",
        "display_name": "Ann", "locale": "en", "opted_out": False, "responded": False,
        "wave_id": uuid4(), "wave_state": "open",
        "closes_at": datetime(2026, 12, 4, 17, 0, tzinfo=UTC), "k": 5, "pulse_id": uuid4(),
        "pulse_name": "Team pulse", "org_name": "Acme",
    }  # fmt: skip
    values.update(changes)
    return OutboxItem(**values)


def _parse(settings: Settings, item: OutboxItem) -> Any:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    return message_from_bytes(build_message(settings, item, now=now).data, policy=policy.default)


def test_email_says_until_when_why_anonymous_and_what_k_is(settings: Settings) -> None:
    msg = _parse(settings, _item(k=7))
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Friday 4 December 2026, 17:00 UTC" in text and "5 days left" in text
    assert "at least 7 people (k = 7)" in text
    assert msg.get_body(preferencelist=("html",)) is not None
    assert msg["Message-ID"].endswith("@candor.invalid>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert LINK.search(text)


def test_person_without_a_known_locale_gets_english_and_dutch_gets_dutch(
    settings: Settings,
) -> None:
    assert _parse(settings, _item(locale=None))["Content-Language"] == "en"
    assert _parse(settings, _item(locale="fr"))["Content-Language"] == "en"
    dutch = _parse(settings, _item(locale="nl"))
    assert dutch["Subject"].startswith("Acme: hoe gaat het")
    assert "vrijdag 4 december 2026" in dutch.get_body(preferencelist=("plain",)).get_content()


def test_names_and_org_are_escaped_in_html_and_cannot_inject_headers(settings: Settings) -> None:
    item = _item(display_name="Eve <script>x</script>\r\nBcc: all@example.test", org_name="A & B")
    msg = _parse(settings, item)
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html and "A &amp; B" in html
    assert msg["Bcc"] is None
    assert msg["To"].addresses[0].addr_spec == "ann@example.test"


def test_unusable_address_is_refused_before_any_smtp(settings: Settings) -> None:
    from service.surveys.delivery.mail import InvalidAddress

    for bad in ["no-at-sign", "two@@example.test", "a b@example.test", "x@nodot", "ü@example.test"]:
        with pytest.raises(InvalidAddress):
            build_message(settings, _item(email=bad))


async def test_worker_process_killed_mid_batch_still_gets_everyone_their_email(
    pool: asyncpg.Pool, org: Org, settings: Settings, database_url: str, redis_url: str
) -> None:
    from arq.connections import ArqRedis
    from redis.asyncio import Redis

    from service.surveys.delivery import kick_delivery

    wave = await open_test_wave(pool, org.id, people=80)
    handler = Smtp(delay=0.03)
    with smtp_server(handler) as url:
        env = {
            **os.environ,
            "CANDOR_ENV": "test",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SMTP_URL": url,
            "SECRET_KEY": settings.secret_key,
            "ARQ_QUEUE": settings.arq_queue,
            "PUBLIC_BASE_URL": settings.public_base_url,
            "WORKER_NAME": "doomed",
            "LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen(  # noqa: ASYNC220 - killed with SIGKILL below, never awaited
            [sys.executable, "-m", "service.cli", "worker"], cwd=Path(ROOT), env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        redis = Redis.from_url(redis_url)
        arq = ArqRedis(connection_pool=redis.connection_pool, default_queue_name=settings.arq_queue)
        try:
            await kick_delivery(arq, wave.org_id, wave.wave_id)
            # A cold worker process starts slowly on a busy machine: wait on the mail, not a count.
            await wait_until(
                lambda: len(handler.received) >= 15,
                "the worker process to send some mail",
                timeout=180,
            )
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        before = len(handler.received)
        assert 15 <= before < 80, "killed mid-wave"
        in_flight = await pool.fetchval("SELECT count(*) FROM outbox WHERE state = 'sending'")
        assert in_flight > 0, "the kill left claimed rows behind"
        await redis.flushdb()  # the dead worker's job would otherwise wait for its expiry
        no_lease = DeliveryConfig(**{**FAST.__dict__, "lease_seconds": 0.0})
        assert await sweep_outbox({"pool": pool, "redis": arq, "delivery_config": no_lease}) == 1
        await run_burst(lambda: burst_worker(with_smtp(settings, url), database_url))
        await redis.aclose()
    counts = handler.recipients()
    assert len(counts) == 80, "everyone got their email"
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= in_flight, "only rows caught mid-send can be sent twice"
    assert await outbox_states(pool, wave.wave_id) == {"sent": 80}


def test_dev_outbox_shows_the_mail_with_its_personal_link(
    settings: Settings, tmp_path: Path
) -> None:
    from service.devpages import list_mails

    mail = build_message(settings, _item(display_name="Ann & <Bob>"))
    (tmp_path / "1.eml").write_bytes(mail.data)
    [shown] = list_mails(tmp_path)
    assert shown.subject.startswith("Acme: how is your team doing?")
    assert shown.html is not None and "Ann &amp; &lt;Bob&gt;" in shown.html
    link = LINK.search(shown.text)
    assert link and link.group(0).startswith(settings.public_base_url + "/s/")
