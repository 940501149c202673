"""Typed settings, read once from the environment.

Every knob of the service lives here. `get_settings()` parses the environment into one frozen
`Settings` object and caches it; tests set the environment first and call `reset_settings()`.
A missing or malformed value raises `SettingsError` naming the variable, which the CLI turns
into one clear line and a non-zero exit (no traceback, and never the value of a secret).
"""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

import msgspec

LogFormat = Literal["json", "console"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and never echoes a secret."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None
    redis_url: str | None
    smtp_url: str | None
    public_base_url: str
    secret_key: str
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "console"
    data_dir: str = ".candor"
    mail_from: str = "Candor <pulse@candor.invalid>"
    environment: Literal["dev", "production", "test"] = "production"
    db_pool_min: int = 2
    db_pool_max: int = 10
    max_body_bytes: int = 1_048_576
    body_timeout_seconds: int = 20
    arq_queue: str = "candor:queue"
    rate_limit_enabled: bool = True
    trust_forwarded_for: bool = False
    # The operator's credential for /metrics; without it /metrics answers 404.
    metrics_token: str | None = None

    @property
    def is_dev(self) -> bool:
        return self.environment == "dev"


_URL_SCHEMES = {
    "DATABASE_URL": ("postgres", "postgresql"),
    "REDIS_URL": ("redis", "rediss", "unix"),
    "SMTP_URL": ("smtp", "smtps", "smtp+starttls"),
    "PUBLIC_BASE_URL": ("http", "https"),
}


def _check_url(name: str, value: str) -> str:
    """Reject a URL that cannot possibly work, naming the variable but not the value."""
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise SettingsError(f"{name} is not a valid URL ({exc})") from None
    schemes = _URL_SCHEMES[name]
    if parts.scheme not in schemes:
        raise SettingsError(
            f"{name} must start with one of: {', '.join(s + '://' for s in schemes)}"
        )
    if parts.scheme != "unix" and not parts.hostname and name != "DATABASE_URL":
        raise SettingsError(f"{name} has no host")
    if name == "DATABASE_URL" and not (parts.hostname or "host=" in parts.query):
        raise SettingsError("DATABASE_URL has no host")
    return value


def _optional_url(env: dict[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return _check_url(name, value) if value else None


def _int(env: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name} must be between {lo} and {hi}")
    return value


def _choice(env: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip() or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of: {', '.join(choices)}")
    return value


# A production SECRET_KEY needs this much estimated entropy. Keys from the usual generators
# (32 hex characters, 32 base64 characters) estimate at 85 bits or more; placeholders such as
# 36 x "a" or "changeme" x 4 fall far below.
MIN_SECRET_BITS = 80


def _period(text: str) -> int:
    """Length of the shortest piece that `text` repeats (its own length if it repeats none)."""
    border = [0] * len(text)
    k = 0
    for i in range(1, len(text)):
        while k and text[i] != text[k]:
            k = border[k - 1]
        if text[i] == text[k]:
            k += 1
        border[i] = k
    return len(text) - (border[-1] if text else 0)


def estimated_bits(key: str) -> float:
    """A key's length times the Shannon entropy of its characters, a repeated piece counted
    once. Crude, but it catches keys made of a few characters or of one word typed again."""
    piece = key[: _period(key)]
    n = len(piece)
    return -sum(c * math.log2(c / n) for c in Counter(piece).values())


def _check_secret(secret: str, environment: str) -> None:
    if len(secret) < 32:
        raise SettingsError("SECRET_KEY is too short (use at least 32 random characters)")
    # Tests and benchmarks use fixed, readable keys; only production insists on variety.
    if environment == "production" and estimated_bits(secret) < MIN_SECRET_BITS:
        raise SettingsError(
            "SECRET_KEY has too little variety to be random (use at least 32 random "
            "characters, e.g. from `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        )


def load_settings(env: dict[str, str] | None = None, *, require_secret: bool = True) -> Settings:
    """Parse settings from `env` (default: the process environment).

    `require_secret=False` is for commands that sign nothing (migrate, org and key admin,
    import): they run in production without SECRET_KEY.
    """
    env = dict(os.environ if env is None else env)
    environment = _choice(env, "CANDOR_ENV", "production", ("dev", "production", "test"))
    secret = env.get("SECRET_KEY", "")
    if not secret:
        if environment == "production" and require_secret:
            raise SettingsError("SECRET_KEY is not set (use at least 32 random characters)")
        # A throwaway key that nothing keeps; `candor dev` persists one in the data folder.
        secret = secrets.token_urlsafe(32)
    if require_secret:  # a command that signs nothing does not judge a key it never uses
        _check_secret(secret, environment)
    public = env.get("PUBLIC_BASE_URL", "").strip() or "http://127.0.0.1:8000"
    _check_url("PUBLIC_BASE_URL", public)
    log_format_default = "json" if environment == "production" else "console"
    return Settings(
        database_url=_optional_url(env, "DATABASE_URL"),
        redis_url=_optional_url(env, "REDIS_URL"),
        smtp_url=_optional_url(env, "SMTP_URL"),
        public_base_url=public.rstrip("/"),
        secret_key=secret,
        log_level=_choice(env, "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),  # type: ignore[arg-type]
        log_format=_choice(env, "LOG_FORMAT", log_format_default, ("json", "console")),  # type: ignore[arg-type]
        data_dir=env.get("CANDOR_DATA_DIR", "").strip() or ".candor",
        mail_from=env.get("MAIL_FROM", "").strip() or "Candor <pulse@candor.invalid>",
        environment=environment,  # type: ignore[arg-type]
        db_pool_min=_int(env, "DB_POOL_MIN", 2, 1, 100),
        db_pool_max=_int(env, "DB_POOL_MAX", 10, 1, 500),
        max_body_bytes=_int(env, "MAX_BODY_BYTES", 1_048_576, 1024, 64 * 1_048_576),
        body_timeout_seconds=_int(env, "BODY_TIMEOUT_SECONDS", 20, 1, 600),
        arq_queue=env.get("ARQ_QUEUE", "").strip() or "candor:queue",
        rate_limit_enabled=_choice(env, "RATE_LIMIT", "on", ("on", "off")) == "on",
        trust_forwarded_for=_choice(env, "TRUST_FORWARDED_FOR", "off", ("on", "off")) == "on",
        metrics_token=_metrics_token(env),
    )


def _metrics_token(env: dict[str, str]) -> str | None:
    token = env.get("METRICS_TOKEN", "").strip()
    if not token:
        return None
    if len(token) < 32 or not token.isprintable() or " " in token:
        raise SettingsError("METRICS_TOKEN must be at least 32 printable characters, no spaces")
    return token


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings() -> None:
    get_settings.cache_clear()
