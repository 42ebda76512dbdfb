"""Log lines of bounded length: a delivery's text (a 24 MB `zen`, a title) must not become a 24 MB line.

`BoundedFormatter` clips each record's message and its traceback separately, and says how much
it left out, so one oversized field costs a few kilobytes of log, not the disk or the log pipeline.
"""

from __future__ import annotations

import logging

MAX_MESSAGE = 2000  # characters of a record's message
MAX_TRACEBACK = 16000  # characters of an exception's traceback text


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters not logged]"


class BoundedFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = clip(record.message, MAX_MESSAGE)
        return super().formatMessage(record)

    def formatException(self, ei: object) -> str:
        return clip(super().formatException(ei), MAX_TRACEBACK)  # type: ignore[arg-type]

    def formatStack(self, stack_info: str) -> str:
        return clip(super().formatStack(stack_info), MAX_TRACEBACK)


def configure(level: str) -> None:
    """What `asyncguard serve` logs with: the root logger to stderr, every line bounded."""
    handler = logging.StreamHandler()
    handler.setFormatter(BoundedFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
