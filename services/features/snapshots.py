"""A process-wide snapshot with a version: loaded on first use, replaced when the bus announces
a newer one (from L2 when that is new enough, else the database), and compared with the
database at most every 30 s as a backstop for a missed message (spec 20 §8)."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from sqlalchemy import select

from app.cache import CacheError
from app.extensions import cache, db
from app.models.features import ConfigVersion

log = logging.getLogger("features")

BACKSTOP_SECONDS = 30.0


def read_versions(executor=None) -> dict[str, int]:
    executor = executor if executor is not None else db.session
    rows = executor.execute(select(ConfigVersion.name, ConfigVersion.version)).all()
    return {name: int(version) for name, version in rows}


class VersionedSnapshot:
    """Holds one immutable snapshot (anything with `.version`, `.to_json()`); readers need no
    lock because it is replaced whole."""

    def __init__(
        self,
        l2_key: str,
        version_name: str,
        load: Callable[[], object],
        parse: Callable[[str], object],
        empty: object,
    ):
        self.l2_key, self.version_name = l2_key, version_name
        self._load, self._parse, self._empty = load, parse, empty
        self.current = empty
        self.loaded = False
        self.wanted_version = 0
        self.checked_at = 0.0
        self._lock = threading.Lock()

    def get(self):
        if not self.loaded or self.wanted_version > self.current.version:
            self.refresh()
        elif time.monotonic() - self.checked_at > BACKSTOP_SECONDS:
            self._backstop()
        return self.current

    def refresh(self):
        with self._lock:
            snapshot = self._from_l2()
            if snapshot is None or snapshot.version < max(self.wanted_version, 1):
                snapshot = self._load()
                write_l2(self.l2_key, snapshot)
            self.current, self.loaded, self.checked_at = snapshot, True, time.monotonic()
            self.swapped(snapshot)
            return snapshot

    def swapped(self, snapshot) -> None:
        """Hook for a subclass to look at a newly taken snapshot."""

    def _backstop(self) -> None:
        self.checked_at = time.monotonic()
        try:
            version = read_versions().get(self.version_name, 0)
        except Exception:  # answering from memory beats failing while the database is away
            log.warning("features.backstop_failed name=%s", self.version_name, exc_info=True)
            return
        if version != self.current.version:
            self.wanted_version = version
            self.refresh()

    def _from_l2(self):
        try:
            raw = cache.get(self.l2_key)
            return self._parse(raw) if raw else None
        except (CacheError, ValueError, KeyError, TypeError):
            return None

    def announce(self, version: int | None) -> None:
        """A bus message: a newer snapshot exists (None: forget this one); the next read loads."""
        self.wanted_version = max(self.wanted_version, int(version or 0))
        if version is None:
            self.loaded = False

    def reset(self) -> None:
        self.current, self.loaded, self.wanted_version = self._empty, False, 0


def write_l2(key: str, snapshot) -> None:
    """Share a snapshot with the other processes, unless a newer one is already there."""
    try:
        cache.set_if_newer(key, snapshot.to_json(), snapshot.version, random.randint(700, 1000))
    except CacheError as exc:
        log.warning("features.cache_error %s", exc)
