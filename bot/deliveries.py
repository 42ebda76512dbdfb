"""Which webhook deliveries were already accepted (SQLite in the data dir): each is done once.

GitHub redelivers on timeouts and users press "Redeliver"; the `X-GitHub-Delivery` id tells.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

KEEP_SECONDS = 14 * 24 * 3600


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
        self._since_prune = 0

    def first_time(self, delivery_id: str, event: str) -> bool:
        """Record the delivery; False when it was seen before."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO deliveries (id, event, received) VALUES (?, ?, ?)",
                (delivery_id, event, time.time()),
            )
            self._since_prune += 1
            if self._since_prune >= 1000:
                self._since_prune = 0
                self._db.execute("DELETE FROM deliveries WHERE received < ?", (time.time() - KEEP_SECONDS,))
            return cur.rowcount == 1

    def forget(self, delivery_id: str) -> None:
        """Undo `first_time` (the delivery could not be queued; a redelivery must be accepted)."""
        with self._lock:
            self._db.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
