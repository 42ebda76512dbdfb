"""Which webhook deliveries were already accepted: each `X-GitHub-Delivery` is done once.

GitHub redelivers on timeouts and users press "Redeliver". The check runs in memory (the
webhook must answer in milliseconds); accepted ids are written behind to SQLite in the data dir
in batches and the last day of them is loaded again at start-up, so a restart keeps the memory.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from cachetools import TTLCache

KEEP_SECONDS = 14 * 24 * 3600
REMEMBER_SECONDS = 24 * 3600
MAX_REMEMBERED = 500_000


class DeliveryStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, event TEXT NOT NULL, received REAL NOT NULL)"
        )
        self._lock = threading.Lock()
        self._seen: TTLCache[str, bool] = TTLCache(maxsize=MAX_REMEMBERED, ttl=REMEMBER_SECONDS, timer=time.time)
        self._pending: dict[str, tuple[str, float]] = {}
        since = time.time() - REMEMBER_SECONDS
        for (delivery_id,) in self._db.execute("SELECT id FROM deliveries WHERE received >= ?", (since,)):
            self._seen[delivery_id] = True

    def first_time(self, delivery_id: str, event: str) -> bool:
        """Record the delivery; False when it was seen before. Cheap: memory only."""
        if delivery_id in self._seen:
            return False
        self._seen[delivery_id] = True
        self._pending[delivery_id] = (event, time.time())
        return True

    def forget(self, delivery_id: str) -> None:
        """Undo `first_time` (the delivery could not be queued; a redelivery must be accepted)."""
        self._seen.pop(delivery_id, None)
        if self._pending.pop(delivery_id, None) is None:
            with self._lock:
                self._db.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))

    def flush(self) -> int:
        """Write accepted ids to SQLite (called from a thread every fraction of a second)."""
        batch, self._pending = self._pending, {}
        if not batch:
            return 0
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO deliveries (id, event, received) VALUES (?, ?, ?)",
                [(k, e, t) for k, (e, t) in batch.items()],
            )
            self._db.execute("DELETE FROM deliveries WHERE received < ?", (time.time() - KEEP_SECONDS,))
            self._db.execute("COMMIT")
        return len(batch)

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._db.close()
