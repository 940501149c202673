"""Rendered widget bodies kept in memory, keyed by their ETag.

An ETag names everything a body depends on: the render version, the form, the token (so its team
and subtree), the parameters and the org's publication stamp (closed-wave count and latest close).
Numbers change only when a wave closes, which changes the stamp and so the key, so a body found
here is exactly what a fresh render would produce. Token validity is never kept here: every
request checks its token in the database before it may read this.
"""

from __future__ import annotations

from collections import OrderedDict

MAX_ENTRIES = 2048


class RenderedBodies:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._max = max_entries

    def get(self, etag: str) -> bytes | None:
        body = self._bodies.get(etag)
        if body is not None:
            self._bodies.move_to_end(etag)
        return body

    def put(self, etag: str, body: bytes) -> None:
        self._bodies[etag] = body
        self._bodies.move_to_end(etag)
        while len(self._bodies) > self._max:
            self._bodies.popitem(last=False)

    def clear(self) -> None:
        self._bodies.clear()


RENDERED = RenderedBodies()
