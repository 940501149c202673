"""How the API is served: granian, with the same flags in dev, compose and the benchmarks.

The header-read timeout drops slow clients that trickle request headers; backpressure bounds
how many requests one worker holds at once. Granian's own access log stays off: ours (observe.py)
logs route templates, never raw paths that carry tokens.
"""

from __future__ import annotations

import os
import sys


def granian_argv(
    host: str, port: int, workers: int = 1, target: str = "service.app:app_factory"
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        target,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--http",
        "1",
        "--no-ws",
        "--loop",
        "uvloop",
        "--backpressure",
        "512",
        "--http1-header-read-timeout",
        "10000",
        "--log-level",
        "warning",
        "--no-access-log",
        "--respawn-failed-workers",
    ]


def serve(host: str, port: int, workers: int = 1) -> None:
    argv = granian_argv(host, port, workers)
    os.execv(argv[0], argv)  # noqa: S606 - replace this process with the server
